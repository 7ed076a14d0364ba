// Sign-in: staff with user name and password (POST /v1/auth/login);
// customers with their phone and a one-time code sent on WhatsApp
// (POST /v1/auth/otp/request, then /verify). In demo mode the local
// WhatsApp inbox is public, and the page points to it so the code can be
// read off.

import { api, session, signIn, withQuery } from "./api.js";
import { h, fill, errorBox, rendered } from "./dom.js";

const HOME = { admin: "#/portfolio", auditor: "#/audit", customer: "#/me" };

function done(token, query) {
  const s = signIn(token);
  const next = query.get("next");
  // Only an in-app hash route, never an outside address.
  location.hash = next && next.startsWith("#/") && !next.startsWith("#/login") ? next : HOME[s.role] || "#/";
}

function field(id, label, attrs) {
  return h("p.field", {}, h("label", { for: id }, label), h("input", { id, name: id, required: true, ...attrs }));
}

function busy(form, on) {
  for (const el of form.querySelectorAll("button, input")) el.disabled = on;
  form.setAttribute("aria-busy", on ? "true" : "false");
}

function staffForm(query) {
  const msg = h("div.msg", { "aria-live": "polite" });
  const form = h(
    "form#staff-login",
    { novalidate: true },
    field("username", "User name", { autocomplete: "username", autocapitalize: "none" }),
    field("password", "Password", { type: "password", autocomplete: "current-password" }),
    h("button.primary", { type: "submit" }, "Sign in"),
    msg,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      fill(msg, errorBox("enter your user name and password", "Cannot sign in"));
      return;
    }
    busy(form, true);
    fill(msg, h("p.loading", { role: "status" }, "Signing in…"));
    try {
      done(await api("/v1/auth/login", { method: "POST", body: { username, password }, auth: false }), query);
    } catch (err) {
      busy(form, false);
      fill(msg, errorBox(err, "Cannot sign in"));
    }
  });
  return h("section.card", {}, h("h2", {}, "Staff"), h("p.muted", {}, "Risk team and auditors."), form);
}

async function demoInbox(phone) {
  // Public only in demo mode; anywhere else this is refused or absent.
  try {
    return await api(withQuery("/v1/local/whatsapp/messages", { to: phone, limit: 5 }), { auth: false });
  } catch (_) {
    return null;
  }
}

function customerForm(query) {
  const msg = h("div.msg", { "aria-live": "polite" });
  const hint = h("div.hint", { "aria-live": "polite" });
  const codeStep = h(
    "div#code-step",
    { hidden: true },
    field("code", "Code from WhatsApp", { inputmode: "numeric", autocomplete: "one-time-code", maxlength: 10 }),
    h("button.primary#verify-code", { type: "submit" }, "Sign in"),
  );
  const form = h(
    "form#customer-login",
    { novalidate: true },
    field("phone", "Mobile number", { type: "tel", autocomplete: "tel", placeholder: "+919800000001" }),
    h("button#request-code", { type: "button" }, "Send me a code"),
    codeStep,
    hint,
    msg,
  );
  const request = async () => {
    const phone = form.phone.value.trim();
    if (!phone) {
      fill(msg, errorBox("enter your mobile number with the country code", "Cannot send a code"));
      return;
    }
    busy(form, true);
    fill(msg, h("p.loading", { role: "status" }, "Sending…"));
    try {
      const r = await api("/v1/auth/otp/request", { method: "POST", body: { phone }, auth: false });
      fill(msg, h("p.ok", {}, r.status || "A code is on its way."));
      codeStep.hidden = false;
      busy(form, false);
      form.code.focus();
      const inbox = await demoInbox(phone);
      fill(
        hint,
        inbox &&
          h("p.demo", {}, "Demo mode: WhatsApp messages stay on this server. ",
            h("a#demo-inbox", { href: withQuery("/v1/local/whatsapp/messages", { to: phone }), target: "_blank", rel: "noopener" },
              "Read the code in the local inbox"),
            " (newest message first, the code is its first parameter)."),
      );
    } catch (err) {
      busy(form, false);
      fill(msg, errorBox(err, "Cannot send a code"));
      // Too soon for another code: the last one still works.
      if (err.status === 429) codeStep.hidden = false;
    }
  };
  form.querySelector("#request-code").addEventListener("click", request);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (codeStep.hidden) {
      request();
      return;
    }
    const phone = form.phone.value.trim();
    const code = form.code.value.trim();
    busy(form, true);
    try {
      done(await api("/v1/auth/otp/verify", { method: "POST", body: { phone, code }, auth: false }), query);
    } catch (err) {
      busy(form, false);
      fill(msg, errorBox(err, "Cannot sign in"));
    }
  });
  return h("section.card", {}, h("h2", {}, "Card holders"), h("p.muted", {}, "We send a one-time code on WhatsApp."), form);
}

export async function render(view, { query }) {
  const s = session();
  fill(
    view,
    h("h1", {}, "Sign in"),
    s && h("p.ok", {}, `Signed in as ${s.subject} (${s.role}). `, h("a", { href: HOME[s.role] || "#/" }, "Go to your pages"), " or sign in as someone else."),
    h("div.grid-2", {}, staffForm(query), customerForm(query)),
  );
  rendered("login");
}
