// The REST API client and the session.
//
// The token lives in sessionStorage: it ends with the tab, is not sent with
// every request the way a cookie would be (so no CSRF surface), and the API
// already expects `Authorization: Bearer`.

const KEY = "ers.session";

/** The signed-in session ({token, role, subject, expires}) or null. */
export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (s && s.expires > Date.now()) return s;
  } catch (_) {
    // A damaged entry is as good as none.
  }
  sessionStorage.removeItem(KEY);
  return null;
}

/** Keeps the token response of a login. */
export function signIn(t) {
  const s = {
    token: t.access_token,
    role: t.role,
    subject: t.subject,
    // A little early, so a request never leaves with a token about to lapse.
    expires: Date.now() + (t.expires_in - 5) * 1000,
  };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

/** An API failure, carrying the problem details' `detail` when there is one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(
      (problem && (problem.detail || problem.title)) ||
        `the server answered ${status}`,
    );
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Calls the API. `body` is sent as JSON; the answer is parsed as JSON.
 * A 401 ends the session (the token lapsed or was refused) and sends the
 * user to the login page.
 */
export async function api(path, { method = "GET", body, headers = {}, auth = true, retryConflict = method === "GET" } = {}) {
  const h = { Accept: "application/json", ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  const s = session();
  if (auth && s) h.Authorization = `Bearer ${s.token}`;
  let r;
  // A 409 on a read means a concurrent write won a race (an auditor's reads
  // are recorded on one stream); the API calls it safe to retry.
  for (let attempt = 1; ; attempt++) {
    try {
      r = await fetch(path, {
        method,
        headers: h,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, { detail: `the server cannot be reached (${e.message})` });
    }
    if (!(r.status === 409 && retryConflict && attempt < 4)) break;
    await new Promise((done) => setTimeout(done, 50 * attempt + Math.random() * 50));
  }
  const text = await r.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (_) {
      data = { detail: text.slice(0, 200) };
    }
  }
  if (!r.ok) {
    if (r.status === 401 && auth && s) {
      signOut();
      location.hash = "#/login";
    }
    throw new ApiError(r.status, data);
  }
  return data;
}

/** `path` with the query parameters that have a value. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, v);
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
