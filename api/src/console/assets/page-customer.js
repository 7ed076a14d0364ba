// One customer for an admin (GET /v1/admin/customers/{id}): profile and
// usage gauge, band and reasons, risk-score history with the band
// thresholds, features, transactions, statements, alerts with their
// delivery state, and "Send WhatsApp alert" (POST …/alerts, reason required).

import { api } from "./api.js";
import { h, fill, loading, errorBox, section, table, pairs, badge, delivery, money, pct, num, when, day, rendered } from "./dom.js";
import { gauge, riskHistory } from "./charts.js";

function profile(c) {
  const p = c.profile;
  return section(
    "Profile and usage",
    h("div.split", {},
      pairs([
        ["Name", p.name],
        ["Customer id", p.customer_id],
        ["Phone", p.phone],
        ["Limit", money(p.credit_limit_minor, p.currency)],
        ["Balance", money(p.balance_minor, p.currency)],
        ["Available", money(p.available_minor, p.currency)],
        ["Days past due", String(p.days_past_due)],
        ["Customer since", day(p.opened_at)],
        ["Last activity", when(p.last_activity_at)],
      ]),
      gauge(p.utilisation, "Credit used")),
  );
}

/** Reasons as the admin API ({text, help}) or /v1/me ({reason, what_would_help}) gives them. */
export function reasonsList(reasons) {
  if (!reasons || reasons.length === 0) return h("p.muted", {}, "No reasons recorded yet.");
  return h("ol.reasons", {}, reasons.map((r) => {
    const help = r.help ?? r.what_would_help;
    return h("li", {}, h("strong", {}, r.text ?? r.reason), help && h("span.help", {}, `What would help: ${help}`));
  }));
}

function risk(c) {
  const r = c.risk;
  return section(
    "Risk",
    pairs([
      ["Band", badge(r.band)],
      ["Score", r.score === null || r.score === undefined ? "no decision yet" : r.score.toFixed(3)],
      ["Decided as of", when(r.decided_at)],
      ["Band since", when(r.since)],
      ["Fired rules", r.fired_rules && r.fired_rules.length ? r.fired_rules.join(", ") : "none"],
      ["Model", r.model_version ? r.model_version.slice(0, 12) : "—"],
      ["Last decision", r.decision_id || "—"],
      ["Latest evaluation", r.latest ? `${r.latest.score.toFixed(3)} (${r.latest.band}) as of ${when(r.latest.scored_at)}` : "—"],
    ]),
    h("h3", {}, "Reasons"),
    staffReasons(r.staff_reasons),
  );
}

// Staff read the reasons in their own words: the feature, its value in the
// decision, and how much it moved the score; the customer's sentence beside.
function staffReasons(items) {
  if (!items || items.length === 0) return h("p.muted", {}, "No reasons recorded yet.");
  return table(
    [
      ["Feature", (x) => x.feature],
      ["Value", (x) => (x.value === null || x.value === undefined ? "—" : x.value.toFixed(4)), "num"],
      ["Contribution", (x) => (x.contribution >= 0 ? "+" : "") + x.contribution.toFixed(4), "num"],
      ["Source", (x) => (x.code.startsWith("rule:") ? `rule ${x.code.slice(5)}` : "model")],
      ["Customer is told", (x) => x.customer_text, "wide"],
    ],
    items,
    { caption: "Reasons of the decision in force", empty: "No reasons recorded yet." },
  );
}

function features(c) {
  const f = c.features;
  if (!f) return section("Features", h("p.muted", {}, "Not computed yet."));
  const rows = Object.entries(f).filter(([k]) => k !== "as_of");
  return section(
    "Features",
    h("p.muted", {}, `As of ${when(f.as_of)}.`),
    table([["Feature", ([k]) => k.replaceAll("_", " ")], ["Value", ([, v]) => num(v), "num"]], rows, { caption: "Behavioural features" }),
  );
}

export function transactionsTable(items) {
  return table(
    [
      ["When", (t) => when(t.occurred_at)],
      ["Kind", (t) => t.kind.replaceAll("_", " ")],
      ["Merchant", (t) => t.merchant_name || t.merchant_category_code || "—"],
      ["Channel", (t) => t.channel],
      ["Amount", (t) => money(t.amount_minor, t.currency), "num"],
      ["Reversed", (t) => (t.reversed_minor ? money(t.reversed_minor, t.currency) : "—"), "num"],
    ],
    items,
    { caption: "Recent transactions", empty: "No transactions yet." },
  );
}

function statementsTable(c, items) {
  return table(
    [
      ["Period", (s) => s.period],
      ["Closing balance", (s) => money(s.closing_balance_minor, c.profile.currency), "num"],
      ["Minimum due", (s) => money(s.minimum_due_minor, c.profile.currency), "num"],
      ["Due", (s) => day(s.due_date)],
      ["Corrected", (s) => (s.corrected_at ? when(s.corrected_at) : "—")],
    ],
    items,
    { caption: "Statements", empty: "No statements yet." },
  );
}

const CORRECTION_KINDS = {
  reversal: "Reversal of transaction",
  returned_payment: "Payment returned unpaid",
  statement_correction: "Statement corrected",
};

function correctionsTable(c) {
  return table(
    [
      ["When", (x) => when(x.at)],
      ["What", (x) => `${CORRECTION_KINDS[x.kind] || x.kind} ${x.corrects}`],
      ["Why", (x) => (x.reason ? x.reason.replaceAll("_", " ") : "—")],
      ["Amount", (x) => (x.amount_minor == null ? "—" : money(x.amount_minor, c.profile.currency)), "num"],
    ],
    c.corrections || [],
    { caption: "Corrections", empty: "No corrections." },
  );
}

export function alertsTable(items) {
  return table(
    [
      ["Raised", (a) => when(a.raised_at)],
      ["Kind", (a) => a.kind],
      ["Why", (a) => a.reason || a.decision_id || "—", "wide"],
      ["By", (a) => a.requested_by || "system"],
      ["Status", (a) => delivery(a)],
      ["Detail", (a) => a.failed_reason || (a.suppressed_reason === "stale" ? "not sent: about the past" : a.suppressed_reason === "cooldown" ? "not sent: cooldown" : a.suppressed_reason === "budget" ? "not sent: alert budget" : null) || (a.read_at ? `read ${when(a.read_at)}` : a.delivered_at ? `delivered ${when(a.delivered_at)}` : a.sent_at ? `sent ${when(a.sent_at)}` : "—")],
    ],
    items,
    { caption: "Alerts", empty: "No alerts yet." },
  );
}

function uuid() {
  // crypto.randomUUID needs a secure context; getRandomValues does not.
  const b = crypto.getRandomValues(new Uint8Array(16));
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function sendAlert(id, onSent) {
  const msg = h("div.msg", { "aria-live": "polite" });
  const form = h(
    "form#send-alert",
    { novalidate: true },
    h("p.field", {}, h("label", { for: "reason" }, "Reason (kept on the record, not sent to the customer)"),
      h("textarea", { id: "reason", name: "reason", required: true, maxlength: 500, rows: 3 })),
    h("button.primary#send-alert-button", { type: "submit" }, "Send WhatsApp alert"),
    msg,
  );
  // One key per intended alert: a double click or a retry raises it once.
  let key = uuid();
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const reason = form.reason.value.trim();
    if (!reason) {
      fill(msg, errorBox("a reason is required", "Not sent"));
      form.reason.focus();
      return;
    }
    const button = form.querySelector("button");
    button.disabled = true;
    fill(msg, loading("Raising the alert…"));
    try {
      const r = await api(`/v1/admin/customers/${encodeURIComponent(id)}/alerts`, {
        method: "POST",
        body: { reason },
        headers: { "Idempotency-Key": key },
      });
      key = uuid();
      form.reason.value = "";
      fill(msg, h("p.ok#alert-raised", {}, `Alert ${r.alert_id} raised; WhatsApp delivery is tracked below.`));
      onSent(r.alert_id);
    } catch (err) {
      fill(msg, errorBox(err, "Not sent"));
    } finally {
      button.disabled = false;
    }
  });
  return section("Send WhatsApp alert", form);
}

/**
 * A table with "Show more": `page` is the first page ({items, next_cursor});
 * later pages come from `path?cursor=`.
 */
function paged(page, path, render, name) {
  const items = [...page.items];
  const box = h("div", {}, render(items));
  let cursor = page.next_cursor;
  const more = h("button", { type: "button", id: `more-${name}` }, `Show more ${name}`);
  more.hidden = !cursor;
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const next = await api(`${path}?limit=50&cursor=${encodeURIComponent(cursor)}`);
      items.push(...next.items);
      cursor = next.next_cursor;
      fill(box, render(items));
      more.hidden = !cursor;
    } catch (e) {
      box.append(errorBox(e, `More ${name} could not be loaded`));
    } finally {
      more.disabled = false;
    }
  });
  return [box, more];
}

async function load(id) {
  return api(`/v1/admin/customers/${encodeURIComponent(id)}`);
}

export async function render(view, { params }) {
  const [id] = params;
  const body = h("div.stack", {}, loading(`Loading ${id}…`));
  fill(view, h("p.crumbs", {}, h("a", { href: "#/customers" }, "Top risks"), " / ", id), h("h1", {}, id), body);
  let c;
  try {
    c = await load(id);
  } catch (e) {
    fill(body, errorBox(e, "This customer could not be loaded"));
    return;
  }
  view.querySelector("h1").textContent = `${c.profile.name} (${id})`;
  const base = `/v1/admin/customers/${encodeURIComponent(id)}`;
  const alertsBox = h("div#alerts", { "aria-live": "polite" }, alertsTable(c.alerts));
  // The alert reaches the list once the read side has projected it; follow
  // it for a few seconds so its delivery state shows up without a reload.
  const follow = async (alertId) => {
    for (let wait = 200; wait < 6400; wait *= 2) {
      await new Promise((r) => setTimeout(r, wait));
      if (!alertsBox.isConnected) return;
      try {
        const fresh = await load(id);
        fill(alertsBox, alertsTable(fresh.alerts));
        const a = fresh.alerts.find((x) => x.alert_id === alertId);
        if (a && a.delivery) return;
      } catch (_) {
        return;
      }
    }
  };
  fill(
    body,
    h("div.grid-2", {}, profile(c), risk(c)),
    section("Risk score history", riskHistory(c.risk_history, c.band_thresholds)),
    h("div.grid-2", {}, sendAlert(id, follow), section("Alerts", alertsBox)),
    section("Transactions", paged(c.transactions, `${base}/transactions`, transactionsTable, "transactions")),
    h("div.grid-2", {},
      section("Statements", paged(c.statements, `${base}/statements`, (items) => statementsTable(c, items), "statements")),
      features(c)),
    section("Corrections", correctionsTable(c)),
  );
  rendered("customer");
}
