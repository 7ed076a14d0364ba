// Auditor pages: find a customer's decisions, read one decision's full
// record and replay it (match, or the fields that differ), and see a
// customer's state as of a chosen time.
//   GET  /v1/audit/customers/{id}/decisions
//   GET  /v1/audit/decisions/{id}
//   POST /v1/audit/decisions/{id}/replay
//   GET  /v1/audit/customers/{id}/state?as_of=RFC3339&time=recording|business
// The record's shape is open (new sections may appear), so beyond the
// summary it is shown generically, every field with its name.

import { api, withQuery } from "./api.js";
import { h, fill, loading, errorBox, section, table, pairs, tree, badge, when, num, rendered } from "./dom.js";

const enc = encodeURIComponent;

function lookup(view) {
  const form = h(
    "form#audit-lookup.filters",
    { role: "search" },
    h("p.field", {}, h("label", { for: "customer" }, "Customer id"), h("input", { id: "customer", name: "customer", placeholder: "DEMO-002" })),
    h("p.field", {}, h("label", { for: "decision" }, "or decision id"), h("input", { id: "decision", name: "decision", placeholder: "DEMO-002:123" })),
    h("p.field.actions", {}, h("button.primary", { type: "submit" }, "Open")),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const d = form.decision.value.trim();
    const c = form.customer.value.trim();
    if (d) location.hash = `#/audit/decisions/${enc(d)}`;
    else if (c) location.hash = `#/audit/customers/${enc(c)}`;
  });
  fill(view, h("h1", {}, "Decisions"), section("Find", form));
  rendered("audit");
}

// Short enough to show whole in the select on a phone; the paragraph under
// the form says what each clock counts.
const CLOCKS = {
  recording: "Recording time",
  business: "Business time",
};

function stateForm(id, asOf, clock) {
  const input = h("input", { id: "as-of", name: "as_of", type: "datetime-local", step: 1, required: true, value: toLocalInput(asOf || new Date().toISOString()) });
  const select = h("select", { id: "clock", name: "time" },
    Object.entries(CLOCKS).map(([k, label]) => h("option", { value: k, selected: k === clock }, label)));
  const form = h("form#state-form.filters", {}, h("p.field", {}, h("label", { for: "as-of" }, "State as of (your local time)"), input),
    h("p.field", {}, h("label", { for: "clock" }, "Clock"), select),
    h("p.field.actions", {}, h("button.primary", { type: "submit" }, "Show")),
    h("p.muted", {}, "Features, band and decision in force, open alerts. Recording time counts what the log had recorded by then; business time counts every fact that occurred by then, late ones included."));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!input.value) return;
    location.hash = withQuery(`#/audit/customers/${enc(id)}`, { as_of: new Date(input.value).toISOString(), time: select.value });
  });
  return form;
}

function toLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function stateView(st) {
  const { customer_id: _c, features, sections, decision, band, meaning, known, ...rest } = st;
  if (!known) return h("div#state-result", {}, h("p.muted", {}, "Nothing known yet: the log holds nothing about this customer at that moment."));
  return h("div#state-result", {},
    h("p", {}, `This is ${meaning}.`),
    pairs([["Band in force", badge(band)], ["Decision in force", decision ? h("a", { href: `#/audit/decisions/${enc(decision.decision_id)}` }, decision.decision_id) : "none"]]),
    h("h3", {}, "Features then"), tree(features),
    h("h3", {}, "Open alerts and other sections"), tree(sections),
    h("h3", {}, "Log position"), tree(rest),
    decision && [h("h3", {}, "Decision in force"), tree(decision)]);
}

async function customer(view, id, query) {
  const list = h("div", {}, loading("Loading decisions…"));
  const asOf = query.get("as_of");
  const clock = query.get("time") === "business" ? "business" : "recording";
  const state = h("div", {}, asOf ? loading("Folding the log…") : h("p.muted", {}, "Pick a time to see what the system knew then."));
  fill(view, h("p.crumbs", {}, h("a", { href: "#/audit" }, "Decisions"), " / ", id), h("h1", {}, `Decisions for ${id}`),
    section("State as of", stateForm(id, asOf, clock), state), section("Recorded decisions", list));
  const loadState = asOf
    ? api(withQuery(`/v1/audit/customers/${enc(id)}/state`, { as_of: asOf, time: clock }))
        .then((st) => fill(state, stateView(st)))
        .catch((e) => fill(state, errorBox(e, "The state could not be computed")))
    : Promise.resolve();
  try {
    // Oldest first, a page at a time; the list needs no later events.
    const after = query.get("after") || "";
    const r = await api(withQuery(`/v1/audit/customers/${enc(id)}/decisions`, { limit: 50, follow_limit: 0, after }));
    const rows = r.decisions;
    const more = (key, value, label) =>
      h("a.button", { href: withQuery(`#/audit/customers/${enc(id)}`, { as_of: asOf || "", [key]: value }) }, label);
    fill(list, table(
      [
        ["Decision", (d) => h("a.decision-link", { href: `#/audit/decisions/${enc(d.decision_id)}` }, d.decision_id)],
        ["As of", (d) => when(d.as_of)],
        ["Band", (d) => [badge(d.band_before), " → ", badge(d.band)]],
        ["Score", (d) => (d.scores ? d.scores.ensemble.toFixed(3) : "—"), "num"],
        ["Trigger", (d) => d.trigger?.event_type || "—"],
        ["Recorded", (d) => when(d.recorded_at)],
      ],
      rows,
      { caption: `${rows.length} decisions, oldest first`, empty: "No decision recorded for this customer." },
    ), h("nav.pager", { "aria-label": "Pages" },
      after && more("after", "", "First decisions"),
      r.next_after !== null && r.next_after !== undefined && more("after", r.next_after, "Later decisions")));
  } catch (e) {
    fill(list, errorBox(e, "The decisions could not be loaded"));
  }
  await loadState;
  rendered("audit-customer");
}

function verdict(r) {
  const ok = r.outcome === "match";
  return h(`div#replay-result.verdict.${ok ? "match" : "mismatch"}`, { role: "status" },
    h("p", {}, h("strong", {}, ok ? "Match" : "Mismatch"),
      ok ? ": replaying the log up to the checkpoint gives the same decision, field for field."
        : r.diffs.length === 1 ? ": 1 field differs." : `: ${r.diffs.length} fields differ.`),
    !ok && table([["Field", (d) => d.field], ["Recorded", (d) => d.recorded], ["Replayed", (d) => d.replayed]], r.diffs, { caption: "Differences" }));
}

async function decision(view, id) {
  const body = h("div.stack", {}, loading("Loading the record…"));
  fill(view, h("p.crumbs", {}, h("a", { href: "#/audit" }, "Decisions"), " / ", id), h("h1", {}, `Decision ${id}`), body);
  let d;
  try {
    d = await api(`/v1/audit/decisions/${enc(id)}`);
  } catch (e) {
    fill(body, errorBox(e, "The record could not be loaded"));
    return;
  }
  const out = h("div#replay-out", { "aria-live": "polite" });
  const button = h("button.primary#replay", { type: "button" }, "Replay");
  button.addEventListener("click", async () => {
    button.disabled = true;
    fill(out, loading("Replaying from the log…"));
    try {
      fill(out, verdict(await api(`/v1/audit/decisions/${enc(id)}/replay`, { method: "POST", retryConflict: true })));
    } catch (e) {
      fill(out, errorBox(e, "The replay failed"));
    } finally {
      button.disabled = false;
    }
  });
  const { features, scores, fired_rules: rules, explanation, reasons, trigger_event: trig, followed_by: after, metadata, ...rest } = d;
  fill(
    body,
    h("div.grid-2", {},
      section("Summary", pairs([
        ["Customer", h("a", { href: `#/audit/customers/${enc(d.customer_id)}` }, d.customer_id)],
        ["Band", [badge(d.band_before), " → ", badge(d.band)]],
        ["Ensemble score", scores ? num(scores.ensemble) : "—"],
        ["Features as of", when(d.as_of)],
        ["Recorded", when(d.recorded_at)],
        ["Model", d.model_version],
        ["Rule set", d.rule_set_version],
      ])),
      section("Replay", h("p.muted", {}, "Folds the customer's events up to the recorded checkpoint and scores them again with the recorded model."), button, out)),
    section("Scores", tree(scores)),
    section("Fired rules", tree(rules)),
    section("Features", tree(features)),
    section("Reasons", tree(reasons)),
    section("Explanation", tree(explanation)),
    section("Trigger event", tree(trig)),
    section("Followed by", table([["#", (e) => e.sequence], ["Type", (e) => e.event_type], ["When", (e) => when(e.occurred_at)], ["What", (e) => e.summary, "wide"]],
      after || [], { caption: "Later events on the stream", empty: "Nothing after this decision." })),
    section("Everything else on the record", tree({ ...rest, metadata })),
  );
  rendered("audit-decision");
}

export async function render(view, { params, query, view: which }) {
  if (which === "customer") return customer(view, params[0], query);
  if (which === "decision") return decision(view, params[0]);
  return lookup(view);
}
