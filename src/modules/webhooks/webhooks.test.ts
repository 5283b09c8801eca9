// Signed webhooks against a real receiver process (test/support/webhook-receiver.mjs), which verifies
// each signature with the shared secret: events of the product reach the endpoints whose filter matches,
// signed, with stable delivery ids; a wrong secret or a tampered body is detected; the test event,
// retries with backoff ending in `failed`, replay, the delivery log's pagination, the outbox written in
// the transaction of the change (a rollback leaves no delivery), secrets sealed at rest, admin auth and
// invalid input. SSRF rules are in webhooks-ssrf.test.ts (private networks not allowed there).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import { auditEvents } from '../../audit/events.js';
import { sweepOnce } from '../../maintenance/sweeper.js';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../../../test/support/app.js';
import {
  startReceiver,
  waitFor,
  WEBHOOK_TEST_ENV,
  type Receiver,
} from '../../../test/support/webhook-receiver.js';
import { deleteCompletedBatch } from './repository.js';
import { USER_AGENT } from './worker.js';

type Body = Record<string, unknown>;

describe('webhooks', () => {
  let t: TestApp;
  let receiver: Receiver;
  let auth: Record<string, string>;
  const base = '/v2/admin/tenants/default/webhooks';
  const call = async (method: string, path: string, body?: unknown, headers = auth) => {
    const response = await fetch(`${t.base}${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Body };
  };
  const create = async (name: string, events: string[], extra: Body = {}) => {
    const res = await call('POST', base, { url: receiver.url(name), events, ...extra });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    receiver.configure(name, res.body.secret as string);
    return res.body as Body & { id: string; secret: string };
  };
  const deliveries = async (id: string, query = '') => {
    const res = await call('GET', `${base}/${id}/deliveries${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { deliveries: (Body & { id: string; status: string })[]; next_cursor: string | null };
  };

  before(async () => {
    receiver = await startReceiver();
    t = await startTestApp(WEBHOOK_TEST_ENV, { workers: true });
    const admin = await t.app.services.admins.create('webhooks-admin@example.com');
    auth = { authorization: `Bearer ${admin.token}` };
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  test('every route needs the admin token', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['GET', base],
      ['POST', base],
      ['GET', `${base}/${id}`],
      ['PUT', `${base}/${id}`],
      ['DELETE', `${base}/${id}`],
      ['POST', `${base}/${id}/rotate-secret`],
      ['POST', `${base}/${id}/test`],
      ['GET', `${base}/${id}/deliveries`],
      ['POST', `${base}/${id}/deliveries/${id}/replay`],
    ] as const) {
      const res = await call(
        method,
        path,
        method === 'POST' || method === 'PUT' ? { url: 1 } : undefined,
        {},
      );
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(res.body.error, 'invalid_token');
    }
  });

  test('events reach the endpoints whose filter matches, signed, once each', async () => {
    const users = await create('users', ['user.*']);
    const failures = await create('failures', ['login.failed']);
    const everything = await create('all', ['*']);
    // The secret is shown at creation only.
    const shown = await call('GET', `${base}/${users.id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.secret, undefined);
    assert.match(users.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    const listed = await call('GET', base);
    assert.deepEqual(
      (listed.body.webhooks as Body[]).map((w) => [w.id, w.secret]),
      [users.id, failures.id, everything.id].map((id) => [id, undefined]),
    );

    const email = uniqueEmail('hook');
    assert.equal((await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD })).status, 201);
    assert.equal((await t.post('/v2/auth/login', { email, password: 'wrong-password-1' })).status, 401);

    const got = await waitFor('the deliveries', () => {
      const all = receiver.received();
      return all.filter((r) => r.name === 'all').length >= 3 && all.some((r) => r.name === 'failures')
        ? all
        : null;
    });
    await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
    const of = (name: string) => receiver.received(name).map((r) => r.event);
    // Registration signs the new user in (user.login) in its own transaction.
    assert.deepEqual(of('users').sort(), ['user.login', 'user.registered']);
    assert.deepEqual(of('failures'), ['login.failed']);
    assert.deepEqual(of('all').sort(), ['login.failed', 'user.login', 'user.registered']);
    for (const r of got) {
      assert.equal(r.valid, true, `${r.name}: ${r.problem}`);
      assert.equal(r.content_type, 'application/json');
      assert.equal(r.user_agent, USER_AGENT);
      assert.match(r.signature, /^t=\d+,v1=[0-9a-f]{64}$/);
      const body = JSON.parse(r.body) as Body;
      assert.equal(body.type, r.event);
      assert.deepEqual(Object.keys(body).sort(), [
        'created_at',
        'data',
        'id',
        'tenant_id',
        'type',
        'user_id',
      ]);
      assert.doesNotMatch(r.body, /wrong-password|"ip"|user_agent/);
    }
    const registered = JSON.parse(
      receiver.received('users').find((r) => r.event === 'user.registered')!.body,
    ) as Body;
    assert.match(String(registered.user_id), /^[0-9a-f-]{36}$/);
    // The delivery log says the same: delivered, one attempt, the id the receiver saw.
    const log = await deliveries(users.id);
    assert.deepEqual(
      log.deliveries.map((d) => [d.status, (d.attempt_log as Body[]).map((a) => a.status_code)]),
      [
        ['delivered', [200]],
        ['delivered', [200]],
      ],
    );
    assert.deepEqual(
      log.deliveries.map((d) => d.id).sort(),
      receiver
        .received('users')
        .map((r) => r.delivery_id)
        .sort(),
    );

    // Disabled: no new deliveries.
    assert.equal((await call('PUT', `${base}/${everything.id}`, { enabled: false })).body.enabled, false);
    assert.equal((await t.post('/v2/auth/login', { email, password: 'wrong-password-2' })).status, 401);
    await waitFor('the failure', () => receiver.received('failures').length === 2);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(receiver.received('all').length, 3);
    // That delivery came over a connection kept alive from the earlier ones (idle well under 5 s).
    const [later, ...earlier] = receiver.received().reverse();
    assert.ok(
      earlier.some((r) => r.remote_port === later!.remote_port),
      `port ${later!.remote_port} among ${earlier.map((r) => r.remote_port).join(', ')}`,
    );
    for (const w of [users, failures, everything])
      assert.equal((await call('DELETE', `${base}/${w.id}`)).status, 204);
  });

  test('a wrong secret or a tampered body fails the receiver’s check', async () => {
    const hook = await create('wrong', ['*']);
    receiver.configure('wrong', 'whsec_not-the-secret');
    assert.equal((await call('POST', `${base}/${hook.id}/test`)).status, 202);
    const seen = await waitFor('the test event', () => receiver.received('wrong')[0]);
    assert.equal(seen.valid, false);
    assert.equal(seen.problem, 'signature mismatch');

    // The same request, replayed by an attacker with a changed body, to a receiver with the right secret.
    receiver.configure('wrong', hook.secret);
    const tampered = seen.body.replace('webhook.test', 'user.deleted');
    const res = await fetch(receiver.url('wrong'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hellojohn-signature': seen.signature },
      body: tampered,
    });
    assert.equal(res.status, 400);
    assert.equal(receiver.received('wrong').at(-1)!.problem, 'signature mismatch');
    // Untampered, it verifies.
    const genuine = await fetch(receiver.url('wrong'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hellojohn-signature': seen.signature },
      body: seen.body,
    });
    assert.equal(genuine.status, 200);
    // The 400 the receiver gave the first time was a failed attempt (then retried).
    const settled = await waitFor('settled', async () => {
      const [d] = (await deliveries(hook.id)).deliveries;
      return d && d.status !== 'pending' ? d : null;
    });
    assert.equal((settled.attempt_log as Body[])[0]!.status_code, 400);
  });

  test('the test event, retries with backoff up to the maximum, then replay', async () => {
    const hook = await create('flaky', ['user.login']);
    receiver.configure('flaky', hook.secret, 500);
    const queued = await call('POST', `${base}/${hook.id}/test`);
    assert.equal(queued.status, 202);
    assert.equal(queued.body.event_type, 'webhook.test');
    assert.equal(queued.body.status, 'pending');

    const failed = await waitFor('failed', async () => {
      const [d] = (await deliveries(hook.id)).deliveries;
      return d?.status === 'failed' ? d : null;
    });
    assert.equal(failed.attempts, 3);
    const attempts = failed.attempt_log as { attempted_at: string; status_code: number }[];
    assert.deepEqual(
      attempts.map((a) => a.status_code),
      [500, 500, 500],
    );
    assert.equal(failed.last_error, 'HTTP 500');
    // Backoff: 100–200 ms, then 200–400 ms (base 200 ms, doubled, half of it jitter), plus polling.
    const at = attempts.map((a) => Date.parse(a.attempted_at));
    assert.ok(at[1]! - at[0]! >= 90, `first gap ${at[1]! - at[0]!}`);
    assert.ok(at[2]! - at[1]! >= 190, `second gap ${at[2]! - at[1]!}`);
    const sent = receiver.received('flaky');
    assert.equal(sent.length, 3);
    assert.equal(new Set(sent.map((r) => r.delivery_id)).size, 1, 'the same delivery id on every retry');
    assert.ok(sent.every((r) => r.valid && r.event === 'webhook.test'));

    // A pending delivery cannot be replayed; a failed one can, once the receiver is fixed. The receiver
    // is paused meanwhile, so the replay is still pending when it is asked to be replayed in turn (a
    // running worker could otherwise deliver it between the two calls).
    receiver.configure('flaky', hook.secret, 204);
    receiver.pause();
    let replayed, again;
    try {
      replayed = await call('POST', `${base}/${hook.id}/deliveries/${failed.id}/replay`);
      again = await call('POST', `${base}/${hook.id}/deliveries/${replayed.body.id as string}/replay`);
    } finally {
      receiver.resume();
    }
    assert.equal(replayed.status, 202, JSON.stringify(replayed.body));
    assert.equal(replayed.body.replay_of, failed.id);
    assert.notEqual(replayed.body.id, failed.id);
    assert.equal(replayed.body.event_id, failed.event_id);
    assert.equal(again.status, 409);
    // A request that timed out while the receiver was paused may be answered and sent again: same id.
    await waitFor('replayed', () => receiver.received('flaky').length >= 4);
    const last = receiver.received('flaky')[3]!;
    assert.equal(last.delivery_id, replayed.body.id);
    assert.equal(last.body, sent[0]!.body, 'the same body');
    assert.ok(last.valid);
    await waitFor('delivered', async () => (await deliveries(hook.id)).deliveries[0]!.status === 'delivered');

    // Status filter.
    assert.deepEqual(
      (await deliveries(hook.id, '?status=failed')).deliveries.map((d) => d.id),
      [failed.id],
    );
    // Replay of a delivery of another endpoint: not found.
    const other = await create('other', ['*'], { enabled: false });
    assert.equal((await call('POST', `${base}/${other.id}/deliveries/${failed.id}/replay`)).status, 404);
    assert.equal((await call('POST', `${base}/${other.id}/test`)).status, 409);
  });

  test('the outbox is written in the transaction of the change: a rollback leaves no delivery', async () => {
    const hook = await create('tx', ['user.logout']);
    const tenant = await t.app.services.tenants.resolve(undefined);
    const count = async () =>
      (
        await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1`,
          [hook.id],
        )
      ).rows[0]!.n;
    await assert.rejects(
      t.db.transaction(async (tx) => {
        await insertAuditEvent(tx, { tenantId: tenant.id, type: auditEvents.userLogout, data: { n: 1 } });
        assert.equal(
          (
            await tx.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1`,
              [hook.id],
            )
          ).rows[0]!.n,
          1,
          'written with the event',
        );
        throw new Error('the change fails');
      }),
      /the change fails/,
    );
    assert.equal(await count(), 0);
    await t.db.transaction(async (tx) => {
      await insertAuditEvent(tx, { tenantId: tenant.id, type: auditEvents.userLogout, data: { n: 2 } });
    });
    assert.equal(await count(), 1);
    await waitFor('delivered', () => receiver.received('tx').length === 1);
    assert.deepEqual((JSON.parse(receiver.received('tx')[0]!.body) as Body).data, { n: 2 });
  });

  test('secrets are sealed at rest, rotated, and never audited', async () => {
    const hook = await create('sealed', ['user.logout']);
    const rows = await t.db.query<{ secret_sealed: Buffer; text: string }>(
      `SELECT secret_sealed, row_to_json(e)::text AS text FROM webhook_endpoints e WHERE id = $1`,
      [hook.id],
    );
    const raw = hook.secret.slice('whsec_'.length);
    assert.ok(!rows.rows[0]!.secret_sealed.includes(Buffer.from(raw)));
    assert.ok(!rows.rows[0]!.text.includes(raw));
    const rotated = await call('POST', `${base}/${hook.id}/rotate-secret`);
    assert.equal(rotated.status, 200);
    assert.match(rotated.body.secret as string, /^whsec_/);
    assert.notEqual(rotated.body.secret, hook.secret);
    // Signed with the new secret from now on.
    receiver.configure('sealed', rotated.body.secret as string);
    await call('POST', `${base}/${hook.id}/test`);
    await waitFor('signed', () => receiver.received('sealed').length === 1);
    assert.ok(receiver.received('sealed')[0]!.valid);
    const audit = await t.db.query<{ type: string; data: Body; text: string }>(
      `SELECT type, data, row_to_json(a)::text AS text FROM audit_events a WHERE type LIKE 'webhook.%'`,
    );
    assert.ok(audit.rows.some((r) => r.type === 'webhook.secret_rotated' && r.data.endpoint_id === hook.id));
    assert.ok(audit.rows.every((r) => r.data.via === 'admin_api' && typeof r.data.admin_id === 'string'));
    for (const secret of [raw, (rotated.body.secret as string).slice(6)])
      assert.ok(audit.rows.every((r) => !r.text.includes(secret)));
    // webhook.* events are not delivered, even to '*'.
    assert.equal(
      (
        await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_type LIKE 'webhook.%' AND event_type <> 'webhook.test'`,
        )
      ).rows[0]!.n,
      0,
    );
  });

  test('the delivery log pages newest first with a stable cursor; the sweeper forgets old ones', async () => {
    const hook = await create('pages', ['user.logout']);
    const tenant = await t.app.services.tenants.resolve(undefined);
    for (let n = 0; n < 5; n++)
      await insertAuditEvent(t.db, { tenantId: tenant.id, type: auditEvents.userLogout, data: { n } });
    const first = await deliveries(hook.id, '?limit=2');
    assert.equal(first.deliveries.length, 2);
    assert.ok(first.next_cursor);
    // A new event meanwhile does not shift the next pages.
    await insertAuditEvent(t.db, { tenantId: tenant.id, type: auditEvents.userLogout, data: { n: 5 } });
    const second = await deliveries(hook.id, `?limit=2&cursor=${first.next_cursor}`);
    const third = await deliveries(hook.id, `?limit=2&cursor=${second.next_cursor}`);
    assert.equal(third.next_cursor, null);
    const ns = [...first.deliveries, ...second.deliveries, ...third.deliveries].map(
      (d) => (d.payload as { data: { n: number } }).data.n,
    );
    assert.deepEqual(ns, [4, 3, 2, 1, 0]);

    await waitFor('delivered', () => receiver.received('pages').length === 6);
    await waitFor('settled', async () =>
      (await deliveries(hook.id)).deliveries.every((d) => d.status === 'delivered'),
    );
    await t.db.query(
      `UPDATE webhook_deliveries SET completed_at = now() - interval '40 days' WHERE endpoint_id = $1`,
      [hook.id],
    );
    const swept = await sweepOnce(t.db, 4, 0, [
      { name: 'webhook_deliveries', run: (db, size) => deleteCompletedBatch(db, 30 * 86_400_000, size) },
    ]);
    assert.ok((swept.deleted.webhook_deliveries ?? 0) >= 6);
    assert.equal((await deliveries(hook.id)).deliveries.length, 0);
  });

  test('invalid input is a documented 400, unknown ids a 404', async () => {
    const bad: Body[] = [
      { url: 'not a url', events: ['*'] },
      { url: 'ftp://example.com/x', events: ['*'] },
      { url: 'https://user:pass@example.com/x', events: ['*'] },
      { url: 'https://example.com/x#frag', events: ['*'] },
      { url: 'https://example.com/x', events: [] },
      { url: 'https://example.com/x', events: ['User.Login'] },
      { url: 'https://example.com/x', events: ['user'] },
      { url: 'https://example.com/x', events: ['user.*.*'] },
      { url: 'https://example.com/x', events: '*' },
      { url: 'https://example.com/x', events: ['*'], enabled: 'yes' },
      { url: 'https://example.com/x', events: ['*'], description: 'x'.repeat(501) },
      { events: ['*'] },
    ];
    for (const body of bad) {
      const res = await call('POST', base, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error, 'invalid_request', JSON.stringify(body));
    }
    const missing = '00000000-0000-4000-8000-000000000000';
    assert.equal((await call('GET', `${base}/${missing}`)).status, 404);
    assert.equal((await call('PUT', `${base}/${missing}`, { enabled: true })).status, 404);
    assert.equal((await call('GET', `${base}/not-a-uuid`)).status, 400);
    assert.equal((await call('GET', `/v2/admin/tenants/nope/webhooks`)).status, 404);
    const hook = await create('inputs', ['*']);
    for (const query of ['?limit=0', '?limit=101', '?status=done', '?cursor=%21', '?cursor=abc'])
      assert.equal((await call('GET', `${base}/${hook.id}/deliveries${query}`)).status, 400, query);
    assert.equal((await call('PUT', `${base}/${hook.id}`, { events: ['no'] })).status, 400);
  });
});
