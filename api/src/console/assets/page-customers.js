// Top risks (GET /v1/admin/customers): filters, sorting and keyset paging.
// The filters live in the hash (`#/customers?band=High&sort=-utilisation`),
// so a filtered list can be bookmarked and the browser's Back goes to the
// previous page of results.

import { api, withQuery } from "./api.js";
import { h, fill, loading, errorBox, table, badge, delivery, pct, day, rendered } from "./dom.js";

const SORTS = [
  ["-score", "Highest score first"],
  ["score", "Lowest score first"],
  ["-utilisation", "Highest utilisation first"],
  ["utilisation", "Lowest utilisation first"],
  ["customer_id", "Customer id"],
];

const FILTERS = ["band", "rule", "min_utilisation", "max_utilisation", "sort", "limit"];

function filterForm(q) {
  const opt = (v, l, cur) => h("option", { value: v, selected: v === cur }, l);
  const percent = (name, label) =>
    h("p.field", {}, h("label", { for: name }, label),
      h("input", { id: name, name, type: "number", min: 0, max: 10000, step: 1, inputmode: "numeric",
        // The API takes a fraction; people think in percent.
        value: q.get(name) ? Math.round(Number(q.get(name)) * 100) : "" }));
  const form = h(
    "form#filters.filters",
    { role: "search", "aria-label": "Filter the list" },
    h("p.field", {}, h("label", { for: "band" }, "Band"),
      h("select", { id: "band", name: "band" }, opt("", "Any", q.get("band") || ""), ["High", "Medium", "Low"].map((b) => opt(b, b, q.get("band"))))),
    h("p.field", {}, h("label", { for: "rule" }, "Fired rule"),
      h("input", { id: "rule", name: "rule", value: q.get("rule") || "", placeholder: "rule id", maxlength: 64 })),
    percent("min_utilisation", "Utilisation from %"),
    percent("max_utilisation", "to %"),
    h("p.field.wide", {}, h("label", { for: "sort" }, "Order"),
      h("select", { id: "sort", name: "sort" }, SORTS.map(([v, l]) => opt(v, l, q.get("sort") || "-score")))),
    h("p.field", {}, h("label", { for: "limit" }, "Per page"),
      h("select", { id: "limit", name: "limit" }, ["10", "25", "50", "100"].map((v) => opt(v, v, q.get("limit") || "25")))),
    h("p.field.actions", {}, h("button.primary#apply", { type: "submit" }, "Apply"), h("a.button", { href: "#/customers" }, "Reset")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const next = {};
    for (const k of FILTERS) next[k] = form[k].value.trim();
    for (const k of ["min_utilisation", "max_utilisation"]) {
      if (next[k] !== "") next[k] = String(Number(next[k]) / 100);
    }
    // New filters start again from the first page.
    location.hash = withQuery("#/customers", next);
  });
  return form;
}

function rows(page) {
  return table(
    [
      ["Customer", (r) => h("a.row-link", { href: `#/customers/${encodeURIComponent(r.customer_id)}` }, r.customer_id)],
      ["Name", (r) => r.name],
      ["Band", (r) => badge(r.band), "band"],
      ["Score", (r) => r.score.toFixed(3), "num"],
      ["Utilisation", (r) => pct(r.utilisation), "num"],
      ["Since", (r) => day(r.band_since)],
      ["Top reason", (r) => (r.reasons[0] ? r.reasons[0].text : h("span.muted", {}, "—")), "wide"],
      ["Last alert", (r) => (r.last_alert ? delivery(r.last_alert) : h("span.muted", {}, "none"))],
    ],
    page.items,
    { caption: "Customers by risk", empty: "No customer matches these filters." },
  );
}

export async function render(view, { query }) {
  const results = h("div#results", { "aria-live": "polite" }, loading("Loading customers…"));
  fill(view, h("h1", {}, "Top risks"), filterForm(query), results);
  const params = {};
  for (const k of [...FILTERS, "cursor"]) params[k] = query.get(k) || "";
  params.limit = params.limit || "25";
  try {
    const page = await api(withQuery("/v1/admin/customers", params));
    const nav = h("nav.pager", { "aria-label": "Pages" },
      params.cursor && h("a.button", { href: withQuery("#/customers", { ...params, cursor: "" }) }, "First page"),
      page.next_cursor && h("a.button#next-page", { href: withQuery("#/customers", { ...params, cursor: page.next_cursor }) }, "Next page"));
    fill(results, h("p.muted", {}, `${page.items.length} shown${page.next_cursor ? ", more on the next page" : ""}.`), rows(page), nav);
    rendered("customers");
  } catch (e) {
    fill(results, errorBox(e, "The list could not be loaded"));
  }
}
