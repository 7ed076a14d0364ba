// Admin portfolio (GET /v1/admin/portfolio): customers and exposure per
// band now, the band mix over a chosen range as a chart, the band
// migrations in it, and the funnel of the alerts raised in it.

import { api, withQuery } from "./api.js";
import { h, fill, loading, errorBox, section, table, money, num, badge, rendered } from "./dom.js";
import { bandMix, bars, BANDS } from "./charts.js";

const RANGES = [["30", "Last 30 days"], ["90", "Last 90 days"], ["365", "Last 12 months"]];

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

function exposure(p) {
  // One row per band and currency; bands with nobody still show, as zeros.
  const rows = [];
  for (const band of BANDS) {
    const found = p.bands.filter((b) => b.band === band);
    if (found.length === 0) rows.push({ band, currency: "INR", customers: 0, balance_minor: 0, credit_limit_minor: 0 });
    rows.push(...found);
  }
  return section(
    "Customers and exposure by band",
    table(
      [
        ["Band", (r) => h("a", { href: `#/customers?band=${r.band}` }, badge(r.band))],
        ["Customers", (r) => num(r.customers), "num"],
        ["Balance", (r) => money(r.balance_minor, r.currency), "num"],
        ["Limits", (r) => money(r.credit_limit_minor, r.currency), "num"],
        ["Used", (r) => (r.credit_limit_minor ? `${((100 * r.balance_minor) / r.credit_limit_minor).toFixed(0)}%` : "—"), "num"],
      ],
      rows,
      { caption: "Now" },
    ),
  );
}

function migrations(p) {
  return section(
    "Band migrations",
    table(
      [
        ["From", (m) => badge(m.from)],
        ["To", (m) => badge(m.to)],
        ["Direction", (m) => (BANDS.indexOf(m.to) > BANDS.indexOf(m.from) ? "worse" : "better")],
        ["Customers", (m) => num(m.customers), "num"],
      ],
      p.migrations,
      { caption: `${p.from} to ${p.to}`, empty: "No customer changed band in this range." },
    ),
  );
}

function funnel(p) {
  const a = p.alerts;
  return section(
    "Risk alert delivery funnel",
    h("div.funnel", {}, bars(
      [
        ["Raised", a.raised, "stage-raised"],
        ["Sent", a.sent, "stage-sent"],
        ["Delivered", a.delivered, "stage-delivered"],
        ["Read", a.read, "stage-read"],
        ["Failed", a.failed, "stage-failed"],
        ["Suppressed", a.suppressed, "stage-suppressed"],
      ],
      { label: `Risk alerts raised ${p.from} to ${p.to}: ${a.raised} raised, ${a.sent} sent, ${a.delivered} delivered, ${a.read} read, ${a.failed} failed` },
    )),
    h("p.muted", {}, `Risk alerts only (escalations and staff's alerts). Suppressed alerts were held back by the cooldown, were about the past (${a.suppressed_stale} of them) or were beyond the alert budget (${a.suppressed_budget}), and are not counted as raised; ${a.other_messages} other messages (welcome) are not counted here.`),
  );
}

export async function render(view, { query }) {
  const days = RANGES.some(([d]) => d === query.get("days")) ? query.get("days") : "365";
  const select = h("select#range", { "aria-label": "Range" },
    RANGES.map(([d, l]) => h("option", { value: d, selected: d === days }, l)));
  select.addEventListener("change", () => {
    location.hash = `#/portfolio?days=${select.value}`;
  });
  const body = h("div.stack", {}, loading("Loading the portfolio…"));
  fill(view, h("div.title-row", {}, h("h1", {}, "Portfolio"), h("label.inline", {}, "Range ", select)), body);
  const to = new Date();
  const from = new Date(to.getTime() - (Number(days) - 1) * 86400000);
  try {
    const p = await api(withQuery("/v1/admin/portfolio", { from: isoDay(from), to: isoDay(to) }));
    fill(
      body,
      exposure(p),
      section(`Band mix, ${p.from} to ${p.to}`, bandMix(p.band_mix)),
      h("div.grid-2", {}, migrations(p), funnel(p)),
    );
    rendered("portfolio");
  } catch (e) {
    fill(body, errorBox(e, "The portfolio could not be loaded"));
  }
}
