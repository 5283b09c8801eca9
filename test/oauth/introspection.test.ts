// Introspection (RFC 7662 §4) tells a client about its own tokens only; a client registered as a resource
// server (resource_server) may introspect every token of its tenant. Anything else is `active: false`,
// the same answer as for an unknown token. Revocation (RFC 7009 §2.1) ends only the presenting client's
// tokens.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  HttpAgent,
  authRequest,
  authorize,
  basic,
  callbackOf,
  introspect,
  postForm,
  startOidcApp,
  tokenRequest,
  type OidcTestApp,
  type TestClient,
} from '../support/oidc.js';

let t: OidcTestApp;
before(async () => {
  t = await startOidcApp();
});
after(async () => {
  await t?.close();
});

async function tokensOf(c: TestClient) {
  const config = await t.rp(c);
  const user = await t.createUser();
  const req = await authRequest(config, c);
  const callback = callbackOf(
    await authorize(new HttpAgent(), req.url, user, { consent: 'allow' }),
    req.redirectUri,
  );
  const response = await tokenRequest(c, {
    grant_type: 'authorization_code',
    code: callback.searchParams.get('code')!,
    redirect_uri: req.redirectUri,
    code_verifier: req.verifier,
  });
  assert.equal(response.status, 200, response.text);
  return { ...(response.body as { access_token: string; refresh_token: string }), user };
}

const grants = ['authorization_code', 'refresh_token', 'client_credentials'] as const;

describe('introspection', () => {
  test("a client sees its own tokens, not another client's", async () => {
    const a = await t.createClient();
    const b = await t.createClient({ grantTypes: [...grants] });
    const tokens = await tokensOf(a);
    const service = await tokenRequest(b, { grant_type: 'client_credentials' });
    assert.equal(service.status, 200, service.text);

    for (const token of [tokens.access_token, tokens.refresh_token]) {
      const own = await introspect(a, token);
      assert.equal(own.status, 200, own.text);
      assert.equal(own.body.active, true, `own token: ${own.text}`);
      assert.equal(own.body.client_id, a.clientId);
      const foreign = await introspect(b, token);
      assert.equal(foreign.status, 200, foreign.text);
      assert.deepEqual(foreign.body, { active: false }, `another client's token: ${foreign.text}`);
    }
    const theirs = await introspect(a, service.body.access_token as string);
    assert.deepEqual(theirs.body, { active: false }, theirs.text);
  });

  test('a resource server sees every token of its tenant, first-party ones too', async () => {
    const a = await t.createClient();
    const api = await t.createClient({ resourceServer: true, grantTypes: ['client_credentials'] });
    const tokens = await tokensOf(a);
    for (const token of [tokens.access_token, tokens.refresh_token]) {
      const seen = await introspect(api, token);
      assert.equal(seen.body.active, true, seen.text);
      assert.equal(seen.body.client_id, a.clientId);
    }
    const login = await t.post('/v2/auth/login', {
      email: tokens.user.email,
      password: tokens.user.password,
      tenant_id: 'default',
    });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const firstParty = login.body.access_token as string;
    assert.equal((await introspect(api, firstParty)).body.active, true, 'a resource server sees it');
    assert.deepEqual((await introspect(a, firstParty)).body, { active: false }, 'a client does not');
  });

  test('the attribute shows in the client and is false by default', async () => {
    const tenant = await t.app.services.tenants.resolve('default');
    const plain = await t.createClient();
    const api = await t.createClient({ resourceServer: true, grantTypes: ['client_credentials'] });
    const clients = t.app.services.clients;
    assert.equal((await clients.get(tenant, plain.clientId))!.resourceServer, false);
    assert.equal((await clients.get(tenant, api.clientId))!.resourceServer, true);
  });
});

describe('revocation', () => {
  test("another client's access or refresh token is left alone; the own client's is revoked", async () => {
    const a = await t.createClient();
    const b = await t.createClient();
    const api = await t.createClient({ resourceServer: true, grantTypes: ['client_credentials'] });
    const tokens = await tokensOf(a);
    for (const [who, token] of [
      [b, tokens.access_token],
      [b, tokens.refresh_token],
      [api, tokens.access_token],
    ] as const) {
      const response = await postForm(
        who.issuer,
        '/oauth2/revoke',
        { token },
        { authorization: basic(who.clientId, who.clientSecret!) },
      );
      assert.equal(response.status, 200, response.text);
    }
    assert.equal((await introspect(a, tokens.access_token)).body.active, true, 'access token lives on');
    assert.equal((await introspect(a, tokens.refresh_token)).body.active, true, 'refresh token lives on');

    const own = await postForm(
      a.issuer,
      '/oauth2/revoke',
      { token: tokens.access_token },
      { authorization: basic(a.clientId, a.clientSecret!) },
    );
    assert.equal(own.status, 200, own.text);
    assert.equal((await introspect(a, tokens.access_token)).body.active, false);
    assert.equal((await introspect(a, tokens.refresh_token)).body.active, false);
  });
});
