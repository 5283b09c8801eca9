// The admin API's audit log: a tenant's events filtered by type (exact or prefix), user and time range,
// paged newest first with a cursor that stays stable while events are written; the NDJSON export; invalid
// queries refused with 400; and the per-tenant retention the sweeper applies in batches.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { auditEvents } from '../../src/audit/events.js';
import { insertAuditEvent } from '../../src/db/repositories/audit.js';
import { sweepOnce } from '../../src/maintenance/sweeper.js';
import { startTestApp, type TestApp } from '../support/app.js';

interface EventJson {
  id: string;
  type: string;
  user_id: string | null;
  data: Record<string, unknown>;
  created_at: string;
}

describe('admin API: audit log', () => {
  let t: TestApp;
  let auth: Record<string, string>;
  let tenantId: string;
  let otherId: string;
  const userA = randomUUID();

  before(async () => {
    t = await startTestApp();
    auth = { authorization: `Bearer ${(await t.app.services.admins.create('audit@example.com')).token}` };
    const made = await t.post('/v2/admin/tenants', { slug: 'trail', name: 'Trail' }, auth);
    assert.equal(made.status, 201);
    tenantId = String(made.body.id);
    otherId = String((await t.post('/v2/admin/tenants', { slug: 'other', name: 'Other' }, auth)).body.id);
    // 120 events: logins of user A, failures, client changes; and one in another tenant.
    for (let i = 0; i < 120; i++) {
      const kind = i % 3;
      await insertAuditEvent(t.db, {
        tenantId,
        type:
          kind === 0
            ? auditEvents.userLogin
            : kind === 1
              ? auditEvents.loginFailed
              : auditEvents.clientUpdated,
        userId: kind === 0 ? userA : null,
        data: { n: i },
      });
    }
    await insertAuditEvent(t.db, { tenantId: otherId, type: auditEvents.userLogin, userId: userA });
  });
  after(() => t.close());

  const patch = async (path: string, body: unknown) => {
    const res = await fetch(`${t.base}${path}`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const list = async (query: string) => {
    const res = await t.get(`/v2/admin/tenants/trail/audit${query}`, auth);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as { events: EventJson[]; next_cursor: string | null };
  };

  test('pages newest first; the cursor walks every event once, however many are written meanwhile', async () => {
    const total = Number(
      (
        await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1', [
          tenantId,
        ])
      ).rows[0]!.n,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`?limit=25${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.events.map((e) => e.id));
      cursor = page.next_cursor;
      pages++;
      // Writers keep going while the reader pages: new events are newer, never on a later page.
      await Promise.all(
        Array.from({ length: 5 }, () =>
          insertAuditEvent(t.db, { tenantId, type: auditEvents.userLogin, userId: userA }),
        ),
      );
    } while (cursor && pages < 100);
    assert.equal(seen.length, total, 'every event that existed at the start, exactly once');
    assert.equal(new Set(seen).size, seen.length, 'no duplicates');
    const ids = seen.map(BigInt);
    assert.ok(
      ids.every((id, i) => i === 0 || id < ids[i - 1]!),
      'strictly newest first',
    );
  });

  test('filters: exact type, prefix, user, time range; other tenants never show', async () => {
    const exact = await list('?type=login.failed&limit=200');
    assert.equal(exact.events.length, 40);
    assert.ok(exact.events.every((e) => e.type === 'login.failed'));
    for (const prefix of ['user.', 'user.*']) {
      const page = await list(`?type=${encodeURIComponent(prefix)}&limit=200`);
      assert.ok(page.events.length >= 40, prefix);
      assert.ok(
        page.events.every((e) => e.type.startsWith('user.')),
        prefix,
      );
    }
    assert.equal((await list('?type=user&limit=200')).events.length, 0, 'no dot, no star: exact');
    const mine = await list(`?user_id=${userA}&limit=200`);
    assert.ok(mine.events.length >= 40 && mine.events.every((e) => e.user_id === userA));
    await t.db.query(
      `UPDATE audit_events SET created_at = '2020-01-15T00:00:00Z' WHERE tenant_id = $1 AND (data->>'n')::int < 10`,
      [tenantId],
    );
    const old = await list('?from=2020-01-01&to=2020-02-01T00:00:00Z&limit=200');
    assert.equal(old.events.length, 10);
    const recent = await list('?from=2021-01-01T00:00:00Z&limit=200');
    assert.ok(recent.events.every((e) => e.created_at > '2021'));
    const other = await t.get('/v2/admin/tenants/other/audit', auth);
    const types = (other.body.events as EventJson[]).map((e) => e.type);
    assert.ok(types.includes('user.login') && types.length <= 3, JSON.stringify(types));
  });

  test('invalid queries are 400 invalid_request', async () => {
    for (const query of [
      '?cursor=abc',
      '?cursor=-1',
      '?cursor=99999999999999999999',
      '?type=User.Login',
      "?type=user.login';--",
      '?user_id=not-a-uuid',
      '?from=yesterday',
      '?from=2026-01-02&to=2026-01-01',
      '?limit=0',
      '?limit=201',
      '?unknown=1',
    ]) {
      const res = await t.get(`/v2/admin/tenants/trail/audit${query}`, auth);
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'invalid_request', query);
    }
    assert.equal((await t.get('/v2/admin/tenants/nope/audit', auth)).status, 404);
    assert.equal((await t.get('/v2/admin/tenants/trail/audit/export?from=bad', auth)).status, 400);
  });

  test('the NDJSON export streams every matching event, one JSON object per line', async () => {
    const response = await fetch(`${t.base}/v2/admin/tenants/trail/audit/export?type=login.failed`, {
      headers: auth,
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const text = await response.text();
    assert.ok(text.endsWith('\n'));
    const events = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as EventJson);
    assert.equal(events.length, 40);
    assert.ok(events.every((e) => e.type === 'login.failed' && typeof e.created_at === 'string'));
    // More than one export page (500): the whole trail.
    for (let i = 0; i < 600; i++) await insertAuditEvent(t.db, { tenantId, type: auditEvents.clientCreated });
    const all = await (
      await fetch(`${t.base}/v2/admin/tenants/trail/audit/export`, { headers: auth })
    ).text();
    const lines = all.trimEnd().split('\n');
    const count = (
      await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1', [
        tenantId,
      ])
    ).rows[0]!.n;
    assert.equal(lines.length, count);
    assert.equal(new Set(lines.map((l) => (JSON.parse(l) as EventJson).id)).size, count);
  });

  test('a typed password never reaches the trail the API serves', async () => {
    const typed = 'Typed-Secret-Password-991';
    await t.post('/t/trail/v2/auth/login', { email: 'someone@example.com', password: typed });
    await t.post('/t/trail/v2/auth/login', { email: typed, password: typed });
    await t.post('/t/trail/v2/auth/register', { email: 'new.one@example.com', password: typed });
    const all = await (
      await fetch(`${t.base}/v2/admin/tenants/trail/audit/export`, { headers: auth })
    ).text();
    assert.ok(all.includes('login.failed'), 'the failures are there');
    assert.ok(!all.includes(typed) && !all.toLowerCase().includes('typed-secret'), 'the password is not');
  });

  test('retention per tenant: its own days override AUDIT_RETENTION, 0 keeps, swept in batches', async () => {
    // Events of 40 days ago in both tenants.
    await t.db.query(
      `UPDATE audit_events SET created_at = now() - interval '40 days' WHERE tenant_id IN ($1, $2)`,
      [tenantId, otherId],
    );
    const count = async (id: string) =>
      (
        await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1', [
          id,
        ])
      ).rows[0]!.n;
    const otherBefore = await count(otherId);
    // Installation: keep for ever. Tenant "trail": 30 days.
    const set = await patch('/v2/admin/tenants/trail', { settings: { audit: { retention_days: 30 } } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const swept = await sweepOnce(t.db, 100, 0);
    assert.ok((swept.deleted.audit_events ?? 0) >= 700, `deleted ${swept.deleted.audit_events}`);
    assert.equal(await count(tenantId), 1, 'only the event of the change itself is left');
    assert.equal(await count(otherId), otherBefore, 'the other tenant keeps its events');

    // Installation: 7 days; tenant "other": 0 (keep for ever) — its events stay.
    await patch('/v2/admin/tenants/other', { settings: { audit: { retention_days: 0 } } });
    await sweepOnce(t.db, 100, 7 * 86_400_000);
    assert.equal(await count(otherId), otherBefore + 1, 'kept for ever, the change event added');
  });
});
