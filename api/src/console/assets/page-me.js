// A card holder's own page (GET /v1/me): credit usage, their band in plain
// words with the reasons and what would help, recent transactions and the
// messages they were sent (what they received, never why or who asked).

import { api } from "./api.js";
import { h, fill, loading, errorBox, section, pairs, badge, money, day, when, table, delivery, rendered } from "./dom.js";
import { gauge } from "./charts.js";
import { reasonsList, transactionsTable } from "./page-customer.js";

const TEMPLATE_WORDS = {
  risk_alert: "A note about your card",
  welcome: "Welcome",
};

// What the customer received: the message's values, when, and whether it
// reached them.
function messagesTable(items) {
  return table(
    [
      ["Sent", (m) => when(m.sent_at)],
      ["Message", (m) => [TEMPLATE_WORDS[m.template] || m.template, ...m.body_params.slice(1)].join(": "), "wide"],
      ["Status", (m) => delivery(m)],
    ],
    items,
    { caption: "Messages", empty: "No messages yet." },
  );
}

const BAND_WORDS = {
  Low: "Your card looks healthy. Keep it up.",
  Medium: "A few signs suggest your card could become hard to manage. Small changes now help a lot.",
  High: "Your card shows strong signs of payment stress. Please look at what would help below, or talk to us.",
};

export async function render(view) {
  const body = h("div.stack", {}, loading("Loading your card…"));
  fill(view, h("h1", {}, "My card"), body);
  let me;
  try {
    me = await api("/v1/me");
  } catch (e) {
    fill(body, errorBox(e, "Your card could not be loaded"));
    return;
  }
  view.querySelector("h1").textContent = `Hello, ${me.name}`;
  const u = me.usage;
  fill(
    body,
    h("div.grid-2", {},
      section("Credit usage",
        h("div.split", {},
          pairs([
            ["Limit", money(u.credit_limit_minor, u.currency)],
            ["Balance", money(u.balance_minor, u.currency)],
            ["Available", money(u.available_minor, u.currency)],
          ]),
          gauge(u.utilisation, "Credit used"))),
      section("How your card is doing",
        h("p.band-line", {}, badge(me.band), " ", BAND_WORDS[me.band] || ""),
        me.band_since && h("p.muted", {}, `Since ${day(me.band_since)}.`),
        h("h3", {}, "Why, and what would help"),
        me.reasons_as_of && h("p.muted", {}, `As we saw your card on ${day(me.reasons_as_of)}.`),
        reasonsList(me.reasons))),
    section("Recent transactions", transactionsTable(me.recent_transactions)),
    section("Messages we sent you", messagesTable(me.messages)),
  );
  rendered("me");
}
