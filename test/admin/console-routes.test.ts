// The admin routes behind the console's tenant screens: the branding preview (the real sign-in page,
// unsaved branding, checked by the setting's rules), the SMTP test mail through a real SMTP server
// process, the tenant's overview numbers (arranged sign-ins, and the indexes their SQL uses), and the
// installation's health; each with its key checks.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ACTIVE_SESSIONS_SQL,
  AUDIT_COUNTS_BY_DAY_SQL,
  USERS_SQL,
} from '../../src/db/repositories/tenant-stats.js';
import { SMTP_TESTS_PER_WINDOW } from '../../src/admin/smtp-test.js';
import { STRONG_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

const CREDENTIALS = { user: 'acme-mailer', password: 'Acme-smtp-pa55word!' };

describe('admin API: the console’s tenant routes', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let admin: Record<string, string>;
  let readOnly: Record<string, string>;
  let acmeKey: Record<string, string>;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const call = async (method: string, path: string, body?: unknown, headers = admin) => {
    const r = await fetch(`${t.base}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    const type = r.headers.get('content-type') ?? '';
    return {
      status: r.status,
      type,
      text,
      body: (type.includes('json') && text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  };

  before(async () => {
    smtp = await startSmtpServer({ credentials: CREDENTIALS });
    t = await startTestApp({ RATE_LIMIT_PER_IP: '10000' });
    admin = bearer((await t.app.services.admins.create('ops@example.com')).token);
    readOnly = bearer(
      (await t.app.services.admins.create('reader@example.com', { scope: 'read_only' })).token,
    );
    for (const slug of ['acme', 'beta'])
      assert.equal((await call('POST', '/v2/admin/tenants', { slug, name: slug.toUpperCase() })).status, 201);
    acmeKey = bearer(
      (await t.app.services.admins.create('acme@example.com', { scope: 'tenant', tenant: 'acme' })).token,
    );
  });
  after(async () => {
    await t.close();
    await smtp.stop();
  });

  test('every route needs a key (401), and a key’s scope holds', async () => {
    for (const [method, path, body] of [
      ['POST', '/v2/admin/tenants/acme/branding/preview', {}],
      ['POST', '/v2/admin/tenants/acme/smtp/test', { to: 'a@example.com' }],
      ['GET', '/v2/admin/tenants/acme/stats', undefined],
      ['GET', '/v2/admin/health', undefined],
    ] as const) {
      const res = await call(method, path, body, {});
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(res.body.error, 'invalid_token');
    }
    // A tenant key: its own tenant only, and nothing installation-wide.
    assert.equal((await call('GET', '/v2/admin/tenants/acme/stats', undefined, acmeKey)).status, 200);
    assert.equal((await call('GET', '/v2/admin/tenants/beta/stats', undefined, acmeKey)).status, 403);
    assert.equal((await call('POST', '/v2/admin/tenants/beta/branding/preview', {}, acmeKey)).status, 403);
    assert.equal((await call('POST', '/v2/admin/tenants/acme/branding/preview', {}, acmeKey)).status, 200);
    assert.equal((await call('GET', '/v2/admin/health', undefined, acmeKey)).status, 403);
    // A read-only key reads, and posts nothing.
    assert.equal((await call('GET', '/v2/admin/health', undefined, readOnly)).status, 200);
    assert.equal((await call('POST', '/v2/admin/tenants/acme/branding/preview', {}, readOnly)).status, 403);
    assert.equal((await call('GET', '/v2/admin/tenants/nope/stats')).status, 404);
  });

  test('the preview is the sign-in page with the unsaved branding; nothing is stored', async () => {
    const res = await call('POST', '/v2/admin/tenants/acme/branding/preview', {
      display_name: 'Acme <Cloud>',
      primary_color: '#aa0055',
    });
    assert.equal(res.status, 200);
    assert.match(res.type, /^text\/html/);
    assert.match(res.text, /Acme &lt;Cloud&gt;/);
    assert.match(res.text, /#aa0055/);
    assert.match(res.text, /<label for="password">Password<\/label>/);
    assert.doesNotMatch(res.text, /<script/);
    const stored = await call('GET', '/v2/admin/tenants/acme');
    assert.equal(
      stored.body.settings && (stored.body.settings as Record<string, unknown>).branding,
      undefined,
    );
    // Without branding: the tenant's name.
    assert.match((await call('POST', '/v2/admin/tenants/acme/branding/preview', {})).text, /ACME/);
  });

  test('the preview refuses what saving the branding refuses (400)', async () => {
    for (const [what, body] of [
      ['a colour that is not one', { primary_color: 'red' }],
      ['an http: logo', { logo_url: 'http://cdn.example.com/logo.png' }],
      ['an unknown member', { display_nam: 'x' }],
      ['an empty name', { display_name: '' }],
      ['CSS with url()', { custom_css: 'main{background:url(https://x.example/a.png)}' }],
      ['not an object', ['x']],
    ] as const) {
      const res = await call('POST', '/v2/admin/tenants/acme/branding/preview', body);
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.equal(res.body.error, 'invalid_request', what);
    }
  });

  test('a test mail goes through the tenant’s SMTP server; its refusal is a 502 with the reason', async () => {
    const send = (to: unknown, slug = 'acme') => call('POST', `/v2/admin/tenants/${slug}/smtp/test`, { to });
    const none = await send('ann@example.com');
    assert.equal(none.status, 409, 'no SMTP server of its own');
    const settings = {
      host: '127.0.0.1',
      port: smtp.port,
      user: CREDENTIALS.user,
      password: CREDENTIALS.password,
      from: 'Acme <no-reply@acme.example>',
    };
    assert.equal(
      (await call('PATCH', '/v2/admin/tenants/acme', { settings: { smtp: settings } })).status,
      200,
    );
    // Like the setting, the operator's: not a tenant key's.
    assert.equal(
      (await call('POST', '/v2/admin/tenants/acme/smtp/test', { to: 'a@example.com' }, acmeKey)).status,
      403,
    );
    for (const to of ['not-an-address', 'a@example.com, b@example.com', ''])
      assert.equal((await send(to)).status, 400, to);
    assert.equal(
      (await call('POST', '/v2/admin/tenants/acme/smtp/test', { to: 'a@x.example', cc: 1 })).status,
      400,
    );

    const sent = await send('ann@example.com');
    assert.equal(sent.status, 200, sent.text);
    assert.deepEqual(sent.body, { status: 'sent', to: 'ann@example.com' });
    const mail = await smtp.waitFor((m) => m.to.includes('ann@example.com'));
    assert.equal(mail.subject, 'Test mail from ACME');
    assert.equal(mail.authUser, CREDENTIALS.user);

    // A wrong password: the server's refusal, without the credentials.
    const wrong = { ...settings, password: 'Wrong-pa55word-here' };
    assert.equal((await call('PATCH', '/v2/admin/tenants/acme', { settings: { smtp: wrong } })).status, 200);
    const refused = await send('ann@example.com');
    assert.equal(refused.status, 502, refused.text);
    assert.equal(refused.body.error, 'bad_gateway');
    assert.match(String(refused.body.error_description), /SMTP server refused/);
    assert.doesNotMatch(refused.text, /Wrong-pa55word-here|acme-mailer/);

    // Nobody listening.
    const closed = { ...settings, port: 1 };
    assert.equal((await call('PATCH', '/v2/admin/tenants/acme', { settings: { smtp: closed } })).status, 200);
    assert.equal((await send('ann@example.com')).status, 502);
    // At most SMTP_TESTS_PER_WINDOW a minute per tenant (three were spent above).
    let last = 0;
    for (let i = 3; i <= SMTP_TESTS_PER_WINDOW; i++) last = (await send('ann@example.com')).status;
    assert.equal(last, 429);
  });

  test('the stats count the arranged sign-ins, failures, sessions and users', async () => {
    const email = 'stats@example.com';
    assert.equal(
      (await t.post('/t/beta/v2/auth/register', { email, password: STRONG_PASSWORD })).status,
      201,
    );
    const before = (await call('GET', '/v2/admin/tenants/beta/stats')).body as {
      totals: { sign_ins: number; failed_sign_ins: number };
    };
    for (const password of [STRONG_PASSWORD, STRONG_PASSWORD, 'Wrong-password-1'])
      await t.post('/t/beta/v2/auth/login', { email, password });
    const res = await call('GET', '/v2/admin/tenants/beta/stats');
    assert.equal(res.status, 200);
    const stats = res.body as {
      days: { date: string; sign_ins: number; failed_sign_ins: number }[];
      totals: { sign_ins: number; failed_sign_ins: number };
      active_sessions: number;
      users: number;
    };
    assert.equal(stats.days.length, 14);
    assert.equal(stats.days.at(-1)!.date, new Date().toISOString().slice(0, 10));
    assert.equal(stats.totals.sign_ins - before.totals.sign_ins, 2);
    assert.equal(stats.totals.failed_sign_ins - before.totals.failed_sign_ins, 1);
    assert.equal(stats.days.at(-1)!.sign_ins, stats.totals.sign_ins);
    assert.equal(stats.users, 1);
    assert.ok(stats.active_sessions >= 2, JSON.stringify(stats));
    // Another tenant's are not counted.
    const acme = (await call('GET', '/v2/admin/tenants/acme/stats')).body as typeof stats;
    assert.equal(acme.totals.sign_ins, 0);
    assert.equal(acme.users, 0);
  });

  test('the stats’ SQL can use the indexes', async () => {
    const tenantId = (await t.app.services.tenants.resolve('beta')).id;
    for (const [sql, params, index] of [
      [
        AUDIT_COUNTS_BY_DAY_SQL,
        [tenantId, new Date(Date.now() - 14 * 86_400_000), ['user.login']],
        'audit_events_by_tenant',
      ],
      [ACTIVE_SESSIONS_SQL, [tenantId], 'sessions_active_by_user'],
      [USERS_SQL, [tenantId], 'users_'],
    ] as const) {
      // The tables are tiny here, so the planner prefers a scan: forbid it to see that an index serves.
      const plan = await t.db.transaction(async (tx) => {
        await tx.query('SET LOCAL enable_seqscan = off');
        const { rows } = await tx.query<Record<string, string>>(`EXPLAIN ${sql}`, params);
        return rows.map((r) => Object.values(r)[0]).join('\n');
      });
      assert.match(plan, new RegExp(index), plan);
      assert.doesNotMatch(plan, /Seq Scan/, plan);
      assert.match(plan, /Index Cond: \(+tenant_id = /, plan);
    }
  });

  test('the health reports each part', async () => {
    const res = await call('GET', '/v2/admin/health');
    assert.equal(res.status, 200);
    const h = res.body as Record<string, Record<string, unknown>>;
    assert.equal(h.database!.status, 'ok');
    assert.equal(h.migrations!.status, 'ok');
    assert.equal(h.migrations!.pending, 0);
    assert.ok((h.migrations!.applied as number) > 0);
    assert.match(String(h.redis!.status), /^(ok|not_configured)$/);
    assert.equal(
      h.signing_keys!.oldest_active_age_days === null ||
        typeof h.signing_keys!.oldest_active_age_days === 'number',
      true,
    );
  });
});
