// Client authentication at the token, revocation and introspection endpoints:
// - private_key_jwt (RFC 7523 §3): an assertion is accepted once (its jti is remembered until it expires,
//   in the database, so across instances), and only with this server as its audience: the issuer or the
//   token endpoint, never an array naming another server as well;
// - a client with a secret may send it by HTTP Basic or in the body, unless registered as strict; no
//   downgrade: a secret client never authenticates as `none`, a private_key_jwt client never by secret.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import * as client from 'openid-client';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import { sweepOnce } from '../../src/maintenance/sweeper.js';
import { FAST_ARGON2 } from '../support/app.js';
import { freePort } from '../support/net.js';
import {
  basic,
  introspect,
  oauthError,
  postForm,
  startOidcApp,
  tokenRequest,
  type OidcTestApp,
} from '../support/oidc.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let t: OidcTestApp;
let key: { privateKey: CryptoKey; publicJwk: object };
before(async () => {
  t = await startOidcApp();
  const pair = await generateKeyPair('ES256');
  key = { privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
});
after(async () => {
  await t?.close();
});

async function jwtClient() {
  const tenant = await t.app.services.tenants.resolve('default');
  const { client: created } = await t.app.services.clients.create(tenant, {
    name: 'JWT client',
    type: 'confidential',
    grantTypes: ['client_credentials'],
    tokenEndpointAuthMethod: 'private_key_jwt',
    jwks: { keys: [key.publicJwk] },
  });
  return created.clientId;
}

function assertion(clientId: string, aud: string | string[], jti: string = randomUUID()) {
  return new SignJWT({ jti })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime('2m')
    .sign(key.privateKey);
}

const withAssertion = (clientId: string, jwt: string, form: Record<string, string>) => ({
  ...form,
  client_id: clientId,
  client_assertion_type: ASSERTION_TYPE,
  client_assertion: jwt,
});

const tokenEndpoint = () => `${t.issuer()}/oauth2/token`;

describe('private_key_jwt', () => {
  test('an assertion is accepted once at the token endpoint', async () => {
    const clientId = await jwtClient();
    const jwt = await assertion(clientId, tokenEndpoint());
    const form = withAssertion(clientId, jwt, { grant_type: 'client_credentials' });
    const first = await postForm(t.issuer(), '/oauth2/token', form);
    assert.equal(first.status, 200, first.text);
    const replay = await postForm(t.issuer(), '/oauth2/token', form);
    assert.equal(replay.status, 401, `the same assertion again: ${replay.text}`);
    assert.equal(replay.body.error, 'invalid_client');
    const fresh = await postForm(
      t.issuer(),
      '/oauth2/token',
      withAssertion(clientId, await assertion(clientId, t.issuer()), { grant_type: 'client_credentials' }),
    );
    assert.equal(fresh.status, 200, `a new assertion (issuer as audience) works: ${fresh.text}`);
  });

  test('an assertion used at one endpoint is refused at the others', async () => {
    const clientId = await jwtClient();
    const jwt = await assertion(clientId, tokenEndpoint());
    const issued = await postForm(
      t.issuer(),
      '/oauth2/token',
      withAssertion(clientId, jwt, { grant_type: 'client_credentials' }),
    );
    assert.equal(issued.status, 200, issued.text);
    for (const path of ['/oauth2/introspect', '/oauth2/revoke']) {
      const replay = await postForm(
        t.issuer(),
        path,
        withAssertion(clientId, jwt, { token: issued.body.access_token as string }),
      );
      assert.equal(replay.status, 401, `${path}: ${replay.text}`);
      assert.equal(replay.body.error, 'invalid_client');
    }
    const introspected = await postForm(
      t.issuer(),
      '/oauth2/introspect',
      withAssertion(clientId, await assertion(clientId, t.issuer()), {
        token: issued.body.access_token as string,
      }),
    );
    assert.equal(introspected.status, 200, introspected.text);
    assert.equal(introspected.body.active, true);
  });

  test('a replayed assertion is refused by another instance on the same database', async () => {
    const clientId = await jwtClient();
    const port = await freePort();
    const config = t.testDb.config({ ...FAST_ARGON2, BASE_URL: t.base });
    const other: FastifyInstance = await buildApp(config, {
      db: t.db,
      logger: pino({ level: 'silent' }),
      sweeper: false,
    });
    try {
      await other.listen({ host: '127.0.0.1', port });
      const form = withAssertion(clientId, await assertion(clientId, tokenEndpoint()), {
        grant_type: 'client_credentials',
      });
      const first = await postForm(t.issuer(), '/oauth2/token', form);
      assert.equal(first.status, 200, first.text);
      const elsewhere = await postForm(`http://127.0.0.1:${port}`, '/oauth2/token', form);
      assert.equal(elsewhere.status, 401, `the second instance: ${elsewhere.text}`);
      assert.equal(elsewhere.body.error, 'invalid_client');
    } finally {
      await other.close();
    }
  });

  test('the audience must be this server only: an array naming another server is refused', async () => {
    const clientId = await jwtClient();
    const cases: [string | string[], number][] = [
      [[tokenEndpoint(), 'https://other.example.com'], 401],
      [['https://other.example.com', t.issuer()], 401],
      ['https://other.example.com', 401],
      [[t.issuer(), tokenEndpoint()], 200],
      [[tokenEndpoint()], 200],
    ];
    for (const [aud, status] of cases) {
      for (const path of ['/oauth2/token', '/oauth2/introspect', '/oauth2/revoke']) {
        const form: Record<string, string> =
          path === '/oauth2/token' ? { grant_type: 'client_credentials' } : { token: 'unknown-token' };
        const response = await postForm(
          t.issuer(),
          path,
          withAssertion(clientId, await assertion(clientId, aud), form),
        );
        assert.equal(response.status, status, `${path} with aud ${JSON.stringify(aud)}: ${response.text}`);
      }
    }
  });

  test('a jti that is not a short string is refused', async () => {
    const clientId = await jwtClient();
    const long = await assertion(clientId, tokenEndpoint(), 'j'.repeat(300));
    const response = await postForm(
      t.issuer(),
      '/oauth2/token',
      withAssertion(clientId, long, { grant_type: 'client_credentials' }),
    );
    assert.equal(response.status, 401, response.text);
    assert.equal(response.body.error, 'invalid_client');
  });

  test('a jti is remembered past the last second the assertion is accepted, with room for clock skew', async () => {
    // jose counts the age in whole seconds (accepted until iat + 301) and the database's clock may run
    // ahead of this server's: the row must outlive both, or the assertion could be replayed at its end.
    const clientId = await jwtClient();
    const iat = Math.floor(Date.now() / 1000);
    const cases = [
      { exp: iat + 600, lastAccepted: iat + 301 }, // the maximum age ends it
      { exp: iat + 120, lastAccepted: iat + 120 }, // exp ends it
    ];
    for (const { exp, lastAccepted } of cases) {
      const jti = randomUUID();
      const jwt = await new SignJWT({ jti })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(tokenEndpoint())
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key.privateKey);
      const form = withAssertion(clientId, jwt, { grant_type: 'client_credentials' });
      assert.equal((await postForm(t.issuer(), '/oauth2/token', form)).status, 200);
      const { rows } = await t.db.query<{ until: string }>(
        'SELECT extract(epoch FROM expires_at)::bigint AS until FROM client_assertion_jtis WHERE jti = $1',
        [jti],
      );
      assert.ok(
        Number(rows[0]!.until) >= lastAccepted + 60,
        `kept until ${rows[0]!.until}, accepted until ${lastAccepted}`,
      );
    }
  });

  test('remembered jtis are swept once their assertion has expired', async () => {
    const clientId = await jwtClient();
    const form = withAssertion(clientId, await assertion(clientId, tokenEndpoint()), {
      grant_type: 'client_credentials',
    });
    assert.equal((await postForm(t.issuer(), '/oauth2/token', form)).status, 200);
    const count = async () =>
      Number(
        (
          await t.db.query<{ n: string }>(
            'SELECT count(*) AS n FROM client_assertion_jtis WHERE client_id = $1',
            [clientId],
          )
        ).rows[0]!.n,
      );
    assert.equal(await count(), 1);
    await sweepOnce(t.db, 100);
    assert.equal(await count(), 1, 'kept while the assertion could still be presented');
    await t.db.query(
      "UPDATE client_assertion_jtis SET expires_at = now() - interval '1 second' WHERE client_id = $1",
      [clientId],
    );
    await sweepOnce(t.db, 100);
    assert.equal(await count(), 0, 'swept after its expiry');
  });
});

describe('client secrets: HTTP Basic or the body', () => {
  const confidential = (method: 'client_secret_basic' | 'client_secret_post', strict = false) =>
    t.createClient({
      tokenEndpointAuthMethod: method,
      tokenEndpointAuthStrict: strict,
      grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    });

  for (const [registered, used] of [
    ['client_secret_basic', 'client_secret_post'],
    ['client_secret_post', 'client_secret_basic'],
  ] as const) {
    test(`a ${registered} client may send its secret as ${used} (openid-client)`, async () => {
      const c = await confidential(registered);
      const config = await t.rp(c, { auth: used });
      const tokens = await client.clientCredentialsGrant(config);
      assert.ok(tokens.access_token);
      const inspected = await introspect(c, tokens.access_token);
      assert.equal(inspected.body.active, true, inspected.text);
    });

    test(`a strict ${registered} client refuses ${used}`, async () => {
      const c = await confidential(registered, true);
      const own = await client.clientCredentialsGrant(await t.rp(c));
      assert.ok(own.access_token, 'its registered method works');
      const config = await t.rp(c, { auth: used });
      const refused = await oauthError(client.clientCredentialsGrant(config));
      assert.deepEqual(refused, { error: 'invalid_client', status: 401 });
    });
  }

  test('no downgrade: a secret client never as none, a private_key_jwt client never by secret', async () => {
    const c = await confidential('client_secret_post');
    const none = await postForm(c.issuer, '/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: c.clientId,
    });
    assert.equal(none.status, 401, none.text);
    assert.equal(none.body.error, 'invalid_client');
    const wrong = await tokenRequest(
      { ...c, tokenEndpointAuthMethod: 'client_secret_basic' },
      {
        grant_type: 'client_credentials',
      },
      'not-the-secret',
    );
    assert.equal(wrong.status, 401, wrong.text);

    const jwtClientId = await jwtClient();
    const bySecret: Record<string, string>[] = [{ authorization: basic(jwtClientId, 'anything') }, {}];
    for (const headers of bySecret) {
      const form: Record<string, string> = { grant_type: 'client_credentials' };
      if (!headers.authorization) Object.assign(form, { client_id: jwtClientId, client_secret: 'anything' });
      const response = await postForm(c.issuer, '/oauth2/token', form, headers);
      assert.equal(response.status, 401, response.text);
      assert.equal(response.body.error, 'invalid_client');
    }
  });

  test('discovery still lists both secret methods', async () => {
    const response = await fetch(`${t.issuer()}/.well-known/openid-configuration`);
    const doc = (await response.json()) as { token_endpoint_auth_methods_supported: string[] };
    for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'])
      assert.ok(doc.token_endpoint_auth_methods_supported.includes(method), method);
  });
});
