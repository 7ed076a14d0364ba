// The console's shell: hash routes (`#/portfolio`, `#/customers/DEMO-002`),
// the navigation of the signed-in role, and sign-out. Each view module
// exports `render(view, params, query)`; a view renders into its own fresh
// element, so a slow answer for a page already left writes nowhere visible.

import { session, signOut } from "./api.js";
import { h, fill, errorBox } from "./dom.js";

const ROUTES = [
  { re: /^\/login$/, module: "page-login.js", roles: null },
  { re: /^\/portfolio$/, module: "page-portfolio.js", roles: ["admin"] },
  { re: /^\/customers$/, module: "page-customers.js", roles: ["admin"] },
  { re: /^\/customers\/([^/]+)$/, module: "page-customer.js", roles: ["admin"] },
  { re: /^\/audit$/, module: "page-audit.js", roles: ["auditor"], view: "lookup" },
  { re: /^\/audit\/customers\/([^/]+)$/, module: "page-audit.js", roles: ["auditor"], view: "customer" },
  { re: /^\/audit\/decisions\/(.+)$/, module: "page-audit.js", roles: ["auditor"], view: "decision" },
  { re: /^\/me$/, module: "page-me.js", roles: ["customer"] },
];

const HOME = { admin: "#/portfolio", auditor: "#/audit", customer: "#/me" };

const NAV = {
  admin: [["#/portfolio", "Portfolio"], ["#/customers", "Top risks"]],
  auditor: [["#/audit", "Decisions"]],
  customer: [["#/me", "My card"]],
};

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, qs] = raw.split("?");
  return { path, query: new URLSearchParams(qs || "") };
}

function renderChrome(s, path) {
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  fill(
    nav,
    s &&
      h("ul", {}, (NAV[s.role] || []).map(([href, label]) => {
        const current = path === href.slice(1) || path.startsWith(`${href.slice(1)}/`);
        return h("li", {}, h("a", { href, "aria-current": current ? "page" : null }, label));
      })),
  );
  fill(
    who,
    s && [
      h("span.muted", {}, `${s.subject} · ${s.role}`),
      h("button.link", {
        type: "button",
        id: "sign-out",
        onclick: () => {
          signOut();
          location.hash = "#/login";
        },
      }, "Sign out"),
    ],
  );
}

async function route() {
  const { path, query } = parseHash();
  const s = session();
  const main = document.getElementById("main");
  if (path === "/" || path === "") {
    location.replace(s ? HOME[s.role] || "#/login" : "#/login");
    return;
  }
  const r = ROUTES.find((x) => x.re.test(path));
  renderChrome(s, path);
  const view = h("div.view");
  fill(main, view);
  if (!r) {
    fill(view, h("h1", {}, "Not found"), h("p", {}, "There is no such page. ", h("a", { href: "#/" }, "Go home")));
    return;
  }
  if (r.roles && !s) {
    location.replace(`#/login?next=${encodeURIComponent(location.hash)}`);
    return;
  }
  if (r.roles && !r.roles.includes(s.role)) {
    fill(view, h("h1", {}, "Not for this role"),
      h("p", {}, `Signed in as ${s.role}; this page is for ${r.roles.join(", ")}. `, h("a", { href: HOME[s.role] || "#/login" }, "Go to your pages")));
    return;
  }
  const params = path.match(r.re).slice(1).map(decodeURIComponent);
  try {
    const mod = await import(`./${r.module}`);
    await mod.render(view, { params, query, view: r.view });
  } catch (e) {
    view.append(errorBox(e, "This page could not be shown"));
  }
  // Keyboard and screen-reader users land on the new page's heading.
  const heading = view.querySelector("h1");
  if (heading && document.activeElement === document.body) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

// The page declares `default-src 'self'` itself (and the server may add the
// same as a header). Anything the policy blocks is counted where the browser
// tests look, and reported in the console.
document.addEventListener("securitypolicyviolation", (e) => {
  const root = document.documentElement;
  root.dataset.cspViolations = String(Number(root.dataset.cspViolations || 0) + 1);
  console.error(`blocked by the content security policy: ${e.violatedDirective} ${e.blockedURI}`);
});

window.addEventListener("hashchange", route);
route();
