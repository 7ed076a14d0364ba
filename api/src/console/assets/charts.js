// Hand-written SVG charts: the few shapes the console needs cost less to
// write than a chart library costs to ship. Each chart has a <title> and a
// text alternative (a data table in a <details>), and colours always come
// with words or positions, never alone.

import { h, s, day, pct, num } from "./dom.js";

export const BANDS = ["Low", "Medium", "High"];

const W = 800;
const H = 260;
// Room on the left for the y labels at the phone's larger font (20 units).
const PAD = { l: 64, r: 12, t: 12, b: 28 };
// A tick label's width in chart units at the largest font used (20 on a
// phone): about 0.6 of the font size a character.
const labelWidth = (text) => String(text).length * 12;

function frame(label, cls) {
  return s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: `chart ${cls}`,
    role: "img",
    "aria-label": label,
    preserveAspectRatio: "xMidYMid meet",
  }, s("title", {}, label));
}

/** Y grid and labels; with `whole`, steps are whole numbers (counts). */
function axisY(svg, max, fmt, whole = false) {
  const step = whole ? Math.max(1, Math.ceil(max / 4)) : max / 4;
  const top = step * 4;
  for (let i = 0; i <= 4; i++) {
    const v = step * i;
    const y = PAD.t + (H - PAD.t - PAD.b) * (1 - v / top);
    svg.append(
      s("line", { x1: PAD.l, x2: W - PAD.r, y1: y, y2: y, class: "grid" }),
      s("text", { x: PAD.l - 6, y: y + 4, class: "tick", "text-anchor": "end" }, fmt(v)),
    );
  }
  return top;
}

function axisX(svg, labels, x) {
  // At most about five labels, the first and last always; a label is left
  // out when it would touch the one before it or the last one.
  const last = labels.length - 1;
  if (last < 0) return;
  const extent = (i) => {
    const w = labelWidth(labels[i]);
    const at = x(i);
    if (i === 0 && last > 0) return [at, at + w];
    if (i === last && last > 0) return [at - w, at];
    return [at - w / 2, at + w / 2];
  };
  const gap = 16;
  const step = Math.max(1, Math.ceil(labels.length / 5));
  const shown = [0];
  const lastExtent = extent(last);
  for (let i = step; i < last; i += step) {
    const [l, r] = extent(i);
    const prev = extent(shown[shown.length - 1]);
    if (l >= prev[1] + gap && r + gap <= lastExtent[0]) shown.push(i);
  }
  if (last > 0 && lastExtent[0] >= extent(shown[shown.length - 1])[1] + gap) shown.push(last);
  else if (last > 0) shown[shown.length - 1] = last;
  for (const i of shown) {
    // The first label starts at the left edge, the last ends at the right.
    const anchor = i === last && last > 0 ? "end" : i === 0 ? "start" : "middle";
    svg.append(s("text", { x: x(i), y: H - 8, class: "tick", "text-anchor": anchor }, labels[i]));
  }
}

/** Stacked areas: customers per band at the end of each day. */
export function bandMix(mix) {
  const label = `Band mix from ${day(mix[0]?.date)} to ${day(mix[mix.length - 1]?.date)}`;
  const svg = frame(label, "band-mix");
  if (mix.length === 0) return svg;
  const totals = mix.map((d) => BANDS.reduce((t, b) => t + (d.bands[b] || 0), 0));
  const max = axisY(svg, Math.max(1, ...totals), num, true);
  const x = (i) => PAD.l + ((W - PAD.l - PAD.r) * i) / Math.max(1, mix.length - 1);
  const y = (v) => PAD.t + (H - PAD.t - PAD.b) * (1 - v / max);
  let below = mix.map(() => 0);
  for (const band of BANDS) {
    const above = mix.map((d, i) => below[i] + (d.bands[band] || 0));
    const top = above.map((v, i) => `${x(i)},${y(v)}`);
    const bottom = below.map((v, i) => `${x(i)},${y(v)}`).reverse();
    svg.append(
      s("polygon", { points: [...top, ...bottom].join(" "), class: `area band-${band.toLowerCase()}` },
        s("title", {}, `${band}: ${mix[mix.length - 1].bands[band] || 0} customers on the last day`)),
    );
    below = above;
  }
  axisX(svg, mix.map((d) => day(d.date)), x);
  return h(
    "figure.chart-box",
    {},
    svg,
    legend(BANDS.map((b) => [b, `band-${b.toLowerCase()}`])),
    dataTable(
      "Band mix as numbers",
      ["Day", ...BANDS],
      // The days on which the mix changed (and the last), so the table stays short.
      mix
        .filter((d, i) => i === mix.length - 1 || i === 0 || BANDS.some((b) => d.bands[b] !== mix[i - 1].bands[b]))
        .map((d) => [day(d.date), ...BANDS.map((b) => d.bands[b] || 0)]),
    ),
  );
}

/** A risk-score line with the band thresholds drawn across it. */
export function riskHistory(history, thresholds) {
  const t = { medium: thresholds?.medium ?? 0.33, high: thresholds?.high ?? 0.66 };
  const label = `Risk score over ${history.length} scorings; bands change at ${t.medium} and ${t.high}`;
  const svg = frame(label, "risk-history");
  const x = (i) => PAD.l + ((W - PAD.l - PAD.r) * i) / Math.max(1, history.length - 1);
  const y = (v) => PAD.t + (H - PAD.t - PAD.b) * (1 - v);
  axisY(svg, 1, (v) => v.toFixed(2));
  for (const [name, v] of [["Medium", t.medium], ["High", t.high]]) {
    svg.append(
      s("line", { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), class: `threshold band-${name.toLowerCase()}` }),
      s("text", { x: W - PAD.r - 4, y: y(v) - 4, class: "tick", "text-anchor": "end" }, `${name} from ${v}`),
    );
  }
  if (history.length > 0) {
    svg.append(s("polyline", { points: history.map((p, i) => `${x(i)},${y(p.score)}`).join(" "), class: "line" }));
    history.forEach((p, i) => {
      svg.append(
        s("circle", { cx: x(i), cy: y(p.score), r: 3.5, class: `dot band-${(p.band || "Low").toLowerCase()}` },
          s("title", {}, `${day(p.at)}: ${p.score.toFixed(3)} (${p.band})`)),
      );
    });
    axisX(svg, history.map((p) => day(p.at)), x);
  }
  return h(
    "figure.chart-box",
    {},
    svg,
    dataTable("Risk scores as numbers", ["When", "Score", "Band"], history.map((p) => [day(p.at), p.score.toFixed(3), p.band])),
  );
}

/** A half-circle gauge of a fraction (utilisation); over 100% pins at the end. */
export function gauge(fraction, label) {
  const f = Math.max(0, Math.min(1, fraction || 0));
  const cx = 100;
  const cy = 100;
  const r = 80;
  const end = Math.PI * (1 - f);
  const arc = (a0, a1) =>
    `M ${cx + r * Math.cos(a0)} ${cy - r * Math.sin(a0)} A ${r} ${r} 0 0 1 ${cx + r * Math.cos(a1)} ${cy - r * Math.sin(a1)}`;
  const level = f >= 0.9 ? "high" : f >= 0.6 ? "medium" : "low";
  return s(
    "svg",
    { viewBox: "0 0 200 120", class: "gauge", role: "img", "aria-label": `${label}: ${pct(fraction)}` },
    s("title", {}, `${label}: ${pct(fraction)}`),
    s("path", { d: arc(Math.PI, 0), class: "gauge-track" }),
    f > 0 && s("path", { d: arc(Math.PI, end), class: `gauge-fill band-${level}` }),
    s("text", { x: cx, y: cy - 10, "text-anchor": "middle", class: "gauge-value" }, pct(fraction)),
    s("text", { x: cx, y: cy + 14, "text-anchor": "middle", class: "tick" }, label),
  );
}

/** Horizontal bars, one per [label, value, class]. */
export function bars(rows, { fmt = num, label = "bars" } = {}) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  // Narrower than the area charts: it sits in half a row.
  const BW = 480;
  const rowH = 30;
  const svg = s("svg", {
    viewBox: `0 0 ${BW} ${rows.length * rowH + 4}`,
    class: "chart bars",
    role: "img",
    "aria-label": label,
  }, s("title", {}, label));
  rows.forEach(([name, v, cls], i) => {
    const y = i * rowH + 2;
    const w = ((BW - 200) * v) / max;
    svg.append(
      s("text", { x: 120, y: y + 18, class: "tick", "text-anchor": "end" }, name),
      s("rect", { x: 130, y, width: Math.max(v > 0 ? 2 : 0, w), height: rowH - 8, rx: 3, class: `bar ${cls || ""}` }),
      s("text", { x: 136 + w, y: y + 18, class: "tick" }, fmt(v)),
    );
  });
  return svg;
}

function legend(items) {
  return h("ul.legend", {}, items.map(([name, cls]) => h("li", {}, h(`span.swatch.${cls}`, { "aria-hidden": "true" }), name)));
}

function dataTable(summary, head, rows) {
  return h(
    "details.chart-data",
    {},
    h("summary", {}, summary),
    h("table", {}, h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))),
  );
}
