// Admin API keys: typed prefixes, shown once and stored hashed, sent as X-API-Key or bearer; scopes held
// against every admin route (the core's and the modules'): read-only keys only read, a tenant key only
// reaches its tenant, only full keys manage keys or whole tenants; expiry and revocation end a key at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTenant } from '../../src/db/repositories/tenants.js';
import { hashToken } from '../../src/crypto/tokens.js';
import { startTestApp, type JsonResponse, type TestApp } from '../support/app.js';

const client = { name: 'Keyed', type: 'confidential', redirect_uris: ['https://app.example.com/cb'] };

describe('admin API keys', () => {
  let t: TestApp;
  let root: string;
  const key = (value: string) => ({ 'x-api-key': value });
  const send = async (
    method: string,
    path: string,
    headers: Record<string, string>,
  ): Promise<JsonResponse> => {
    const res = await fetch(t.base + path, { method, headers });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  };
  const newKey = async (body: Record<string, unknown>, as = root) => {
    const res = await t.post('/v2/admin/api-keys', body, key(as));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as {
      id: string;
      key: string;
      scope: string;
      tenant: string | null;
      expires_at: string | null;
    };
  };
  const denied = (res: JsonResponse, what: string) => {
    assert.equal(res.status, 403, `${what}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error, 'access_denied', what);
  };

  before(async () => {
    t = await startTestApp();
    root = (await t.app.services.admins.create('root@example.com')).token;
    await createTenant(t.db, 'acme', 'Acme');
    await createTenant(t.db, 'globex', 'Globex');
  });
  after(() => t.close());

  test('a key is shown once with its typed prefix; the database holds its hash and a short hint', async () => {
    const full = await newKey({ name: 'ci' });
    assert.match(full.key, /^hj_admin_[A-Za-z0-9_-]{43}$/);
    const ro = await newKey({ scope: 'read_only' });
    assert.match(ro.key, /^hj_ro_[A-Za-z0-9_-]{43}$/);
    const acme = await newKey({ scope: 'tenant', tenant: 'acme' });
    assert.match(acme.key, /^hj_t_acme_[A-Za-z0-9_-]{43}$/);
    assert.equal(acme.tenant, 'acme');
    for (const made of [full, ro, acme]) {
      const row = (await t.db.query('SELECT token_hash, hint FROM admin_tokens WHERE id = $1', [made.id]))
        .rows[0]!;
      assert.deepEqual(Buffer.from(row.token_hash as Uint8Array), hashToken(made.key));
      assert.ok(
        made.key.startsWith(row.hint as string) && (row.hint as string).length < made.key.length - 30,
      );
    }
    const listed = await t.get('/v2/admin/api-keys', key(root));
    assert.equal(listed.status, 200);
    const text = JSON.stringify(listed.body);
    for (const made of [full, ro, acme]) assert.ok(!text.includes(made.key), 'a listing never shows a key');
    const entry = (listed.body.api_keys as { id: string; scope: string; tenant: string }[]).find(
      (k) => k.id === acme.id,
    );
    assert.deepEqual([entry?.scope, entry?.tenant], ['tenant', 'acme']);
    // Both ways of sending a key work.
    assert.equal((await t.get('/v2/admin/me', { authorization: `Bearer ${ro.key}` })).status, 200);
    const me = await t.get('/v2/admin/me', key(acme.key));
    assert.deepEqual([me.body.scope, me.body.tenant], ['tenant', 'acme']);
    // Created and audited with the admin who made it; the key itself is in no event.
    const events = await t.db.query(
      `SELECT data FROM audit_events WHERE type = 'admin.token_created' AND data->>'token_id' = $1`,
      [acme.id],
    );
    assert.equal(events.rows.length, 1);
    assert.equal((events.rows[0]!.data as { via: string }).via, 'admin_api');
    const all = JSON.stringify((await t.db.query('SELECT data FROM audit_events')).rows);
    for (const made of [full, ro, acme]) assert.ok(!all.includes(made.key.slice(-43)));
  });

  test('a read-only key reads every tenant, module routes included, and writes nothing', async () => {
    const ro = (await newKey({ scope: 'read_only' })).key;
    assert.equal((await t.get('/v2/admin/tenants/acme/clients', key(ro))).status, 200);
    assert.equal((await t.get('/v2/admin/tenants/globex/passkeys', key(ro))).status, 200);
    denied(await t.post('/v2/admin/tenants/acme/clients', client, key(ro)), 'create a client');
    denied(await send('PUT', '/v2/admin/tenants/acme/passkeys', key(ro)), 'a module write');
    denied(await t.post('/v2/admin/api-keys', {}, key(ro)), 'make a key');
    // Refused before the body is looked at: even an invalid body gets 403, not 400.
    denied(await t.post('/v2/admin/tenants/acme/clients', { name: 1 }, key(ro)), 'bad body');
    assert.equal(Number((await t.db.query('SELECT count(*) AS n FROM clients')).rows[0]!.n), 0);
  });

  test('a tenant key reaches its tenant only; other, unknown and installation routes are refused', async () => {
    const acme = (await newKey({ scope: 'tenant', tenant: 'acme' })).key;
    const made = await t.post('/v2/admin/tenants/acme/clients', client, key(acme));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const acmeId = (await t.db.query(`SELECT id FROM tenants WHERE slug = 'acme'`)).rows[0]!.id as string;
    assert.equal((await t.get(`/v2/admin/tenants/${acmeId}/clients`, key(acme))).status, 200, 'by id');
    denied(await t.get('/v2/admin/tenants/globex/clients', key(acme)), 'another tenant');
    denied(await t.get('/v2/admin/tenants/default/passkeys', key(acme)), "another tenant's module route");
    denied(
      await t.get('/v2/admin/tenants/nosuch/clients', key(acme)),
      'an unknown tenant (no existence leak)',
    );
    denied(await t.get('/v2/admin/api-keys', key(acme)), 'keys');
    denied(await t.post('/v2/admin/api-keys', { scope: 'admin' }, key(acme)), 'a full key for itself');
  });

  test('expired and revoked keys are 401 at once; revoking needs a live id', async () => {
    const short = await newKey({ expires_in: 60 });
    assert.ok(Date.parse(short.expires_at!) > Date.now());
    assert.equal((await t.get('/v2/admin/me', key(short.key))).status, 200);
    await t.db.query(`UPDATE admin_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      short.id,
    ]);
    const expired = await t.get('/v2/admin/me', key(short.key));
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error, 'invalid_token');

    const doomed = await newKey({});
    const gone = await send('DELETE', `/v2/admin/api-keys/${doomed.id}`, key(root));
    assert.equal(gone.status, 204);
    assert.equal((await t.get('/v2/admin/me', key(doomed.key))).status, 401);
    assert.equal((await send('DELETE', `/v2/admin/api-keys/${doomed.id}`, key(root))).status, 404);
    assert.equal((await send('DELETE', '/v2/admin/api-keys/not-a-uuid', key(root))).status, 400);
    const revokedEvent = await t.db.query(
      `SELECT data FROM audit_events WHERE type = 'admin.token_revoked' AND data->>'token_id' = $1`,
      [doomed.id],
    );
    assert.equal(revokedEvent.rows.length, 1);
  });

  test('invalid key requests are 400 (or 404 for an unknown tenant) and make nothing', async () => {
    const before = Number((await t.db.query('SELECT count(*) AS n FROM admin_tokens')).rows[0]!.n);
    for (const [body, status] of [
      [{ scope: 'root' }, 400],
      [{ scope: 'tenant' }, 400],
      [{ scope: 'read_only', tenant: 'acme' }, 400],
      [{ scope: 'tenant', tenant: 'nosuch' }, 404],
      [{ expires_in: 10 }, 400],
      [{ expires_in: 1.5 }, 400],
      [{ name: '' }, 400],
      [{ name: 'tab\there' }, 400],
    ] as const) {
      const res = await t.post('/v2/admin/api-keys', body, key(root));
      assert.equal(res.status, status, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.equal(typeof res.body.error_description, 'string');
    }
    assert.equal(Number((await t.db.query('SELECT count(*) AS n FROM admin_tokens')).rows[0]!.n), before);
    // Two X-API-Key headers are refused, not guessed between.
    const twice = await fetch(`${t.base}/v2/admin/me`, {
      headers: [
        ['x-api-key', root],
        ['x-api-key', root],
      ],
    });
    assert.equal(twice.status, 401);
  });
});
