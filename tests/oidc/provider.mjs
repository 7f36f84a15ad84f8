// A real OpenID Connect provider for the test suite (tests/suite/oidc.rs): the npm package
// `oidc-provider`, pinned in .ci/run, with one client (Guichet) and a few accounts. Its
// development interactions (a login form that takes an account id, then a consent form) are
// what the tests drive over HTTP, as a browser would.
//
//   node tests/oidc/provider.mjs NODE_MODULES_DIR
//
// Listens on a free port of 127.0.0.1 and prints `issuer <URL>` on its first line. With
// ID_TOKEN_CLAIMS=1 the e-mail and name claims ride in the ID token too; otherwise, as
// OpenID Connect Core says for the code flow, only in UserInfo.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = process.argv[2];
if (!modules) {
  console.error('usage: node provider.mjs NODE_MODULES_DIR');
  process.exit(2);
}
const { default: Provider } = await import(
  pathToFileURL(join(modules, 'oidc-provider', 'lib', 'index.js')).href
);

// The accounts the login form knows, by the id typed in it.
const accounts = {
  // Pre-registered in Guichet by the tests: signs in.
  agnes: { email: 'agnes.martin@agglo.example.org', email_verified: true, given_name: 'Agnès', family_name: 'Martin' },
  // Pre-registered too, but the provider has not verified the address.
  bruno: { email: 'bruno.petit@agglo.example.org', email_verified: false, name: 'Bruno Petit' },
  // Verified, in a domain Guichet does not allow, with no account.
  chloe: { email: 'chloe.durand@ailleurs.example.net', email_verified: true, name: 'Chloé Durand' },
  // Verified, in the domain the tests allow: gets an account on first sign-in.
  nadia: { email: 'Nadia.Roux@mairie.example.org', email_verified: true, name: 'Nadia Roux' },
};

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'guichet',
      client_secret: 'secret-de-test-guichet',
      // "native" only so that any port of 127.0.0.1 is a valid redirect (RFC 8252 § 7.3):
      // Guichet's port is picked when each test starts it.
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/bureau/connexion/oidc/retour'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
  },
  conformIdTokenClaims: process.env.ID_TOKEN_CLAIMS !== '1',
  cookies: { keys: ['tests-only-cookie-key'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
});
provider.on('server_error', (_ctx, err) => console.error('server_error', err));
server.on('request', provider.callback());
console.log(`issuer ${issuer}`);
