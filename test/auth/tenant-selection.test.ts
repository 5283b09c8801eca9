// The first-party API picks its tenant from the /t/{slug} prefix, tenant_id, or the tenant of client_id.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTenant } from '../../src/db/repositories/tenants.js';
import { FAST_ARGON2, STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../support/app.js';

describe('tenant selection by client_id', () => {
  let t: TestApp;
  let acmeClientId: string;
  let defaultClientId: string;
  before(async () => {
    t = await startTestApp(FAST_ARGON2);
    await createTenant(t.db, 'acme', 'Acme');
    const { clients, tenants } = t.app.services;
    const acme = await tenants.resolve('acme');
    const create = async (tenant: typeof acme) =>
      (
        await clients.create(tenant, {
          name: 'SPA',
          type: 'public',
          redirectUris: ['http://localhost:3000/cb'],
        })
      ).client.clientId;
    acmeClientId = await create(acme);
    defaultClientId = await create(await tenants.resolve(undefined));
  });
  after(() => t.close());

  test('a user registered with an acme client_id belongs to acme and signs in there only', async () => {
    const email = uniqueEmail('acme');
    const registered = await t.post('/v2/auth/register', {
      email,
      password: STRONG_PASSWORD,
      client_id: acmeClientId,
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const acme = await t.app.services.tenants.resolve('acme');
    assert.equal((registered.body.user as { tenant_id: string }).tenant_id, acme.id);

    assert.equal((await t.post('/t/acme/v2/auth/login', { email, password: STRONG_PASSWORD })).status, 200);
    assert.equal((await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD })).status, 401);
    const viaClient = await t.post('/v2/auth/login', {
      email,
      password: STRONG_PASSWORD,
      client_id: acmeClientId,
    });
    assert.equal(viaClient.status, 200);
  });

  test('a client_id of another tenant than the path or tenant_id is refused', async () => {
    const body = { email: uniqueEmail(), password: STRONG_PASSWORD };
    const inPath = await t.post('/t/acme/v2/auth/login', { ...body, client_id: defaultClientId });
    assert.equal(inPath.status, 400);
    assert.equal(inPath.body.error, 'invalid_request');
    const named = await t.post('/v2/auth/login', { ...body, tenant_id: 'default', client_id: acmeClientId });
    assert.equal(named.status, 400);
  });

  test('an unknown client_id is refused, not silently mapped to the default tenant', async () => {
    const response = await t.post('/v2/auth/login', {
      email: uniqueEmail(),
      password: STRONG_PASSWORD,
      client_id: 'no-such-client',
    });
    assert.equal(response.status, 400);
    assert.match(String(response.body.error_description), /client_id/);
  });
});
