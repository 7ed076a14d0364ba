// DOM helpers and formatting. Elements are built with createElement and
// text nodes only (never innerHTML), so data from the API cannot inject
// markup, and nothing needs an inline style or script.

/**
 * h("tag.class#id", {attr: value, onclick: fn}, ...children).
 * `on*` functions become listeners; false/null children are skipped.
 */
export function h(spec, attrs = {}, ...children) {
  const [, tag, rest] = spec.match(/^([a-z0-9-]+)(.*)$/i) || [null, "div", ""];
  const el = document.createElement(tag);
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === ".") el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element with attributes and children. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A loading line screen readers announce. */
export function loading(what = "Loading…") {
  return h("p.loading", { role: "status" }, what);
}

/** An error box with the problem details' `detail`. */
export function errorBox(err, what = "Something went wrong") {
  const detail = err && err.message ? err.message : String(err);
  return h("div.error", { role: "alert" }, h("strong", {}, `${what}: `), detail);
}

/** A titled section. */
export function section(title, ...children) {
  return h("section.card", {}, h("h2", {}, title), ...children);
}

/**
 * A table: `cols` are [heading, row => cell, className?]; rows may be empty.
 */
export function table(cols, rows, { caption, empty = "Nothing yet." } = {}) {
  if (!rows || rows.length === 0) return h("p.muted", {}, empty);
  // Each cell carries its column's name: where the table is too narrow for
  // its columns it is laid out as one block per row, each value under its
  // name, instead of hiding columns behind a sideways scroll (console.css).
  return h(
    "div.table-wrap",
    { tabindex: 0, role: "region", "aria-label": caption || "table" },
    h(
      "table",
      { class: cols.length >= 4 ? "many" : "few" },
      caption && h("caption", {}, caption),
      h("thead", {}, h("tr", {}, cols.map(([t, , c]) => h("th", { scope: "col", class: c }, t)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, cols.map(([t, f, c]) => h("td", { class: c, "data-label": t }, f(r)))))),
    ),
  );
}

/** A definition list from [term, value] pairs. */
export function pairs(items) {
  return h("dl.pairs", {}, items.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}

/** A value of any shape as nested lists (for records whose shape is open). */
export function tree(v, depth = 0) {
  if (v === null || v === undefined) return h("span.muted", {}, "—");
  if (Array.isArray(v)) {
    if (v.length === 0) return h("span.muted", {}, "none");
    if (v.every((x) => typeof x !== "object" || x === null)) return v.join(", ");
    // Rows of plain fields (fired rules, reasons, diffs) read best as a table.
    const flat = (x) => x && typeof x === "object" && !Array.isArray(x) && Object.values(x).every((y) => y === null || typeof y !== "object");
    if (v.every(flat)) {
      const keys = [...new Set(v.flatMap((x) => Object.keys(x)))];
      return table(keys.map((k) => [k.replaceAll("_", " "), (x) => (x[k] === null || x[k] === undefined ? "—" : String(x[k]))]), v);
    }
    return h("ol.tree", {}, v.map((x) => h("li", {}, tree(x, depth + 1))));
  }
  if (typeof v === "object") {
    return h(
      "dl.tree",
      {},
      Object.entries(v).map(([k, x]) => [h("dt", {}, k.replaceAll("_", " ")), h("dd", {}, tree(x, depth + 1))]),
    );
  }
  // Exact values: an auditor compares them digit for digit.
  return String(v);
}

const NUM = new Intl.NumberFormat("en-IN", { maximumFractionDigits: 4 });

/** A number, briefly. */
export function num(v) {
  return typeof v === "number" ? NUM.format(v) : String(v ?? "—");
}

/** Minor units as money ("₹1,23,456.00"). */
export function money(minor, currency = "INR") {
  if (minor === null || minor === undefined) return "—";
  try {
    return new Intl.NumberFormat("en-IN", { style: "currency", currency }).format(minor / 100);
  } catch (_) {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

/** A fraction as a percentage. */
export function pct(f, digits = 0) {
  return f === null || f === undefined ? "—" : `${(f * 100).toFixed(digits)}%`;
}

/** A timestamp in the reader's local time. */
export function when(t) {
  if (!t) return "—";
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}

/** A date only. */
export function day(t) {
  if (!t) return "—";
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleDateString("en-GB", { dateStyle: "medium" });
}

/** A band as a coloured badge (colour is never the only cue: the word is shown). */
export function badge(band) {
  const b = band || "Low";
  return h(`span.badge.band-${b.toLowerCase()}`, {}, b);
}

/** Delivery state of an alert as a badge. */
export function delivery(a) {
  const state = a.delivery || a.status || "pending";
  return h(`span.badge.state-${String(state).toLowerCase()}`, {}, state);
}

/**
 * Marks that a view's data is on screen (`performance.mark`), so load times
 * can be measured from navigation start to data rendered.
 */
export function rendered(view) {
  try {
    performance.mark(`rendered:${view}`);
  } catch (_) {
    // Marks are a measurement aid only.
  }
  document.body.dataset.rendered = view;
}
