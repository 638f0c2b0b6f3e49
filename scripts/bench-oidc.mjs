// Driver of scripts/bench-oidc.sh: N concurrent sign-ins through a running
// `ki-reise serve` and oidc-provider (tests/oidc/server.mjs with
// OIDC_BENCH_USERS=1), each as a browser would: the portal's button
// (GET /anmelden/dienstkonto), the provider's login and consent forms, the
// return to the portal (GET /anmelden/dienstkonto/zurueck), which
// exchanges the code at the provider, verifies the ID token, creates or
// updates the account and starts the session.
//
// What ki-reise adds per sign-in = time of its two requests as the client
// sees them, minus the time its return spent waiting for the provider
// (token exchange, keys, userinfo), which ki-reise reports in its
// Server-Timing header ("idp;dur=…"). The provider's own pages (login,
// consent) are not counted at all.
//
//   node scripts/bench-oidc.mjs PORTAL_URL N [ROUND_LABEL] [FIRST_USER]
// Prints one JSON line with the figures.

const [portal, countArg, label = 'Anmeldung', firstArg = '1'] = process.argv.slice(2);
const count = Number(countArg);
const first = Number(firstArg);

/// A browser: cookies per host:port, redirects by hand.
class Browser {
  constructor() {
    this.jar = new Map();
  }
  cookieHeader(url) {
    const host = new URL(url).host;
    const jar = this.jar.get(host) ?? new Map();
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  keep(url, response) {
    const host = new URL(url).host;
    const jar = this.jar.get(host) ?? new Map();
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    this.jar.set(host, jar);
  }
  async request(url, init = {}) {
    const started = performance.now();
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers ?? {}), cookie: this.cookieHeader(url) },
    });
    const body = await response.text();
    const ms = performance.now() - started;
    this.keep(url, response);
    const location = response.headers.get('location');
    return {
      url,
      status: response.status,
      body,
      ms,
      location: location ? new URL(location, url).toString() : null,
      timing: response.headers.get('server-timing') ?? '',
    };
  }
  async submit(page, fill) {
    const form = page.body.split('<form')[1];
    const tag = form.slice(0, form.indexOf('>'));
    const action = /action="([^"]*)"/.exec(tag)?.[1] ?? page.url;
    const fields = new URLSearchParams();
    for (const m of form.matchAll(/<input[^>]*>/g)) {
      const name = /name="([^"]*)"/.exec(m[0])?.[1];
      const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
      if (name && !(name in fill)) fields.set(name, value);
    }
    for (const [k, v] of Object.entries(fill)) fields.set(k, v);
    return this.request(new URL(action.replaceAll('&amp;', '&'), page.url).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields.toString(),
    });
  }
}

async function signIn(n) {
  const b = new Browser();
  const callback = `${portal}/anmelden/dienstkonto/zurueck`;
  const start = await b.request(`${portal}/anmelden/dienstkonto`);
  if (start.status !== 303) throw new Error(`start: ${start.status} ${start.body.slice(0, 200)}`);
  let page = start;
  for (let i = 0; i < 20 && page.location && !page.location.startsWith(callback); i++) {
    page = await b.request(page.location);
    if (!page.location) {
      const fill = page.body.includes('name="login"') ? { login: `bench-${n}`, password: 'x' } : {};
      page = await b.submit(page, fill);
    }
  }
  if (!page.location?.startsWith(callback)) throw new Error(`no return: ${page.status} ${page.body.slice(0, 200)}`);
  const back = await b.request(page.location);
  if (back.status !== 303) throw new Error(`return: ${back.status} ${back.body.slice(0, 300)}`);
  const idp = Number(/idp;dur=([0-9.]+)/.exec(back.timing)?.[1] ?? NaN);
  return { start: start.ms, back: back.ms, idp, added: start.ms + back.ms - idp };
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
};

const began = performance.now();
const results = await Promise.allSettled(
  Array.from({ length: count }, (_, i) => signIn(first + i)),
);
const wall = performance.now() - began;
const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
const failed = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
const round = (x) => Math.round(x * 10) / 10;
const figures = (key) => ({
  p50: round(quantile(ok.map((r) => r[key]), 0.5)),
  p99: round(quantile(ok.map((r) => r[key]), 0.99)),
  max: round(Math.max(...ok.map((r) => r[key]))),
});
console.log(
  JSON.stringify({
    label,
    concurrent: count,
    completed: ok.length,
    failed: failed.length,
    first_failure: failed[0],
    wall_ms: round(wall),
    added_by_ki_reise_ms: figures('added'),
    start_request_ms: figures('start'),
    return_request_ms: figures('back'),
    waiting_for_idp_in_return_ms: figures('idp'),
  }),
);
if (failed.length) process.exitCode = 1;
