// Key rotation as an operator runs it: on a schedule (KEY_ROTATION_INTERVAL, once per tenant however many
// instances look), from the admin API, and from the CLI, which every running instance hears at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JSONWebKeySet } from 'jose';
import { rotateDueKeys } from '../../src/keys/rotation-schedule.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { runCli, startServerProcess } from '../support/cli.js';
import { createTestDatabase } from '../support/db.js';
import { unlessAvailable } from '../support/env.js';

const DAY = 86_400_000;
const kids = (jwks: JSONWebKeySet) => jwks.keys.map((k) => k.kid!).sort();

describe('key rotation', () => {
  let t: TestApp;
  let root: Record<string, string>;
  let tenantId: string;
  before(async () => {
    t = await startTestApp();
    root = { 'x-api-key': (await t.app.services.admins.create('root@example.com')).token };
    tenantId = (await t.app.services.tenants.resolve('default')).id;
    await t.app.services.keys.ensureKeys(tenantId);
  });
  after(() => t.close());

  const age = (days: number) =>
    t.db.query(
      `UPDATE signing_keys SET created_at = now() - make_interval(days => $2) WHERE tenant_id = $1 AND status = 'active'`,
      [tenantId, days],
    );

  test('the schedule rotates a tenant whose keys are older than the interval, once, however many instances look', async () => {
    const { keys } = t.app.services;
    assert.equal(await rotateDueKeys(t.db, keys, 90 * DAY), 0, 'fresh keys are not due');
    await age(91);
    // Three instances find the tenant due at the same moment: one rotation.
    const counts = await Promise.all([1, 2, 3].map(() => rotateDueKeys(t.db, keys, 90 * DAY)));
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      1,
    );
    const listed = await keys.list(tenantId);
    assert.equal(listed.filter((k) => k.status === 'active').length, 3);
    assert.ok(
      listed.filter((k) => k.status === 'active').every((k) => Date.now() - k.createdAt.getTime() < DAY),
    );
    const events = await t.db.query(
      `SELECT data FROM audit_events WHERE type = 'keys.rotated' AND data->>'via' = 'schedule'`,
    );
    assert.equal(events.rows.length, 1);
    assert.equal(await rotateDueKeys(t.db, keys, 90 * DAY), 0, 'not due again');
  });

  test('the admin API lists the keys and rotates them; the JWKS follows at once, the rotation is audited', async () => {
    const listed = await t.get('/v2/admin/tenants/default/keys', root);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    const before = listed.body.keys as { kid: string; status: string; expires_at: string | null }[];
    assert.ok(before.some((k) => k.status === 'active'));
    assert.ok(!JSON.stringify(listed.body).includes('"d"'), 'no private parts');
    const rotated = await t.post('/v2/admin/tenants/default/keys/rotate', undefined, root);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const { retired, created } = rotated.body as { retired: string[]; created: string[] };
    assert.equal(created.length, 3);
    const jwks = (await t.get('/.well-known/jwks.json')).body as unknown as JSONWebKeySet;
    for (const kid of [...retired, ...created]) assert.ok(kids(jwks).includes(kid), `${kid} published`);
    const audit = await t.db.query(
      `SELECT data FROM audit_events WHERE type = 'keys.rotated' AND data->>'via' = 'admin_api'`,
    );
    assert.equal(audit.rows.length, 1);
    assert.deepEqual((audit.rows[0]!.data as { created: string[] }).created, created);
    assert.equal((await t.post('/v2/admin/tenants/nosuch/keys/rotate', undefined, root)).status, 404);
    assert.equal((await t.post('/v2/admin/tenants/default/keys/rotate', undefined, {})).status, 401);
  });
});

test(
  'a rotation from the CLI reaches a running instance at once (through Redis), not after its cache expires',
  { skip: unlessAvailable({ postgres: true, redis: true }) },
  async () => {
    const redisUrl = process.env.TEST_REDIS_URL!;
    const t = await startTestApp({ REDIS_URL: redisUrl });
    try {
      const cached = kids((await t.get('/.well-known/jwks.json')).body as unknown as JSONWebKeySet);
      const rotate = await runCli(['keys', 'rotate', '--json'], { ...t.testDb.env, REDIS_URL: redisUrl });
      assert.equal(rotate.code, 0, rotate.stderr);
      const { created } = JSON.parse(rotate.stdout) as { created: string[] };
      // The instance cached its keys for 30 s; the bus makes it reload now.
      let served: string[] = cached;
      for (let i = 0; i < 20 && !created.every((kid) => served.includes(kid)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        served = kids((await t.get('/.well-known/jwks.json')).body as unknown as JSONWebKeySet);
      }
      for (const kid of created) assert.ok(served.includes(kid), `${kid} served within 2 s`);
    } finally {
      await t.close();
    }
  },
);

test(
  'a running server rotates on its schedule (KEY_ROTATION_INTERVAL, looked at every SWEEPER_INTERVAL)',
  { skip: unlessAvailable({ postgres: true }) },
  async () => {
    const db = await createTestDatabase();
    const server = await startServerProcess({
      ...db.env,
      SWEEPER_INTERVAL: '1s',
      KEY_ROTATION_INTERVAL: '30d',
    });
    try {
      const first = kids(
        (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet,
      );
      assert.equal(first.length, 3);
      await db.sql(`UPDATE signing_keys SET created_at = now() - interval '31 days' WHERE status = 'active'`);
      let now = first;
      for (let i = 0; i < 60 && now.length === first.length; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        now = kids((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet);
      }
      assert.equal(now.length, 6, 'the old keys stay published for the grace, the new ones join them');
    } finally {
      await server.stop();
      await db.drop();
    }
  },
);
