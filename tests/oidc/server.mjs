// A real OpenID provider (the certified `oidc-provider`) for the sign-in
// tests of ki-reise: one confidential client with PKCE required, the test
// people of users.json, RP-initiated and back-channel logout. The login form
// is the provider's development form (any password; the login names the
// person). Settings come from the environment, set by the Rust harness
// (crates/portal/tests/common/oidc_provider.rs) or the browser tests:
//   OIDC_PORT               port on 127.0.0.1 (issuer http://127.0.0.1:PORT)
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET
//   OIDC_REDIRECT_URIS      space-separated
//   OIDC_POST_LOGOUT_URIS   space-separated (optional)
//   OIDC_BACKCHANNEL_URI    back-channel logout endpoint (optional)
//   OIDC_BENCH_USERS        "1": also people bench-1 … bench-99999 (staff of
//                           the Kämmerei), for scripts/bench-oidc.sh
// Prints "listening <issuer>" once it accepts requests.
import { readFileSync } from 'node:fs';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const list = (value) => value.split(' ').filter(Boolean);

const port = Number(env('OIDC_PORT'));
const issuer = `http://127.0.0.1:${port}`;
const users = JSON.parse(readFileSync(new URL('./users.json', import.meta.url), 'utf8'));

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signing = { ...(await exportJWK(privateKey)), kid: 'test-1', alg: 'RS256', use: 'sig' };

const client = {
  client_id: env('OIDC_CLIENT_ID'),
  client_secret: env('OIDC_CLIENT_SECRET'),
  redirect_uris: list(env('OIDC_REDIRECT_URIS')),
  post_logout_redirect_uris: list(env('OIDC_POST_LOGOUT_URIS', '')),
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'client_secret_basic',
};
const backchannel = env('OIDC_BACKCHANNEL_URI', '');
if (backchannel) {
  client.backchannel_logout_uri = backchannel;
  client.backchannel_logout_session_required = true;
}

const benchUsers = env('OIDC_BENCH_USERS', '') === '1';
const benchPerson = (sub) => {
  if (!benchUsers || !/^bench-[0-9]{1,5}$/.test(sub)) return undefined;
  return {
    email: `${sub}@stadt.test`,
    email_verified: true,
    name: `Bench ${sub.slice(6)}`,
    department: 'Kaemmerei',
    groups: ['Alle-Beschaeftigten'],
  };
};

// The provider's in-memory store keeps only the 1,000 newest entries; 200
// sign-ins at once (interactions, sessions, grants, codes, tokens) push out
// authorisation codes before they are redeemed, and the token request then
// fails with invalid_grant. The benchmark gets room for all of them.
const benchStore = new LRU({ maxSize: 100000 });

const provider = new Provider(issuer, {
  ...(benchUsers ? { adapter: (model) => new MemoryAdapter(model, benchStore) } : {}),
  clients: [client],
  jwks: { keys: [signing] },
  cookies: { keys: ['ki-reise-test-cookie-key'] },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    dienst: ['department', 'groups'],
  },
  // The provider refuses to contact special-use addresses (SSRF guard);
  // in these tests the back-channel logout goes to the portal on 127.0.0.1
  // by design, so its outgoing requests use the plain fetch.
  fetch: (url, options) => {
    const { dispatcher, ...plain } = options;
    return globalThis.fetch(url, plain);
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    backchannelLogout: { enabled: Boolean(backchannel) },
  },
  async findAccount(ctx, sub) {
    const person = users[sub] ?? benchPerson(sub);
    if (!person) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, ...person };
      },
    };
  },
});
// The development form would warn on every start; the tests know.
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.on('grant.error', (ctx, err) => console.error('grant.error', err.message, err.error_detail ?? ''));

provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
