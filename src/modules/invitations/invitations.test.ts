// Invitations: the admin API (success, 401, another tenant's key 403, read-only key 403, invalid input,
// conflicts, replacement, audit with the admin and never the token), and the link's page without a
// browser: the mail from a real SMTP server, the account made with its roles and signed in, single use
// (also two submissions at once), expiry, revocation, resend killing the old link, a tenant with sign-up
// off, a tenant without passwords. Real HTTP on PostgreSQL or PGlite. The Chromium run is in
// invitations-browser.test.ts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { uniqueEmail } from '../../../test/support/app.js';
import {
  HttpAgent,
  expectPage,
  startOidcApp,
  type OidcTestApp,
  type Page,
} from '../../../test/support/oidc.js';
import {
  linkIn,
  mailReader,
  smtpEnv,
  startSmtpServer,
  type MailReader,
  type TestSmtpServer,
} from '../../../test/support/smtp.js';

const PASSWORD = 'Invited-Pass-2026-xyz!';
const SUBJECT = /^You are invited to /;
const DEAD = /This invitation link is invalid, has expired or was already used\./;

let smtp: TestSmtpServer;
let t: OidcTestApp;
let nextMail: MailReader;
let admin: Record<string, string>;
let adminId: string;
let readOnly: Record<string, string>;
let otherTenantKey: Record<string, string>;
let tenantId: string;

type Answer = { status: number; body: Record<string, unknown> };
const call = async (
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = admin,
  tenant = 'default',
): Promise<Answer> => {
  const response = await fetch(`${t.base}/v2/admin/tenants/${tenant}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
};
const expectError = (answer: Answer, status: number, error: string, mentions?: RegExp) => {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.error, error, JSON.stringify(answer.body));
  if (mentions) assert.match(answer.body.error_description as string, mentions);
};
const invite = async (body: Record<string, unknown>, tenant = 'default') => {
  const created = await call('POST', '/invitations', body, admin, tenant);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body as { id: string; url: string; status: string; roles: string[]; email: string };
};
const open = async (agent: HttpAgent, url: string | URL) =>
  expectPage(await agent.walk(url), 'the invite page');
const accept = (agent: HttpAgent, page: Page, values: Record<string, string> = {}) =>
  agent.submit(page, { password: PASSWORD, confirm: PASSWORD, ...values });
const userIdOf = async (email: string) =>
  (
    await t.db.query<{ id: string }>('SELECT id FROM users WHERE email_normalized = $1', [
      email.toLowerCase(),
    ])
  ).rows[0]?.id;

before(async () => {
  smtp = await startSmtpServer();
  t = await startOidcApp({ ...smtpEnv(smtp), RATE_LIMIT_PER_IP: '100000' });
  nextMail = mailReader(smtp);
  const admins = t.app.services.admins;
  admin = { authorization: `Bearer ${(await admins.create('root@example.com')).token}` };
  adminId = (await t.get('/v2/admin/me', admin)).body.admin_id as string;
  readOnly = {
    authorization: `Bearer ${(await admins.create('viewer@example.com', { scope: 'read_only' })).token}`,
  };
  await t.createTenant('other');
  otherTenantKey = {
    authorization: `Bearer ${(await admins.create('other@example.com', { scope: 'tenant', tenant: 'other' })).token}`,
  };
  tenantId = (await t.app.services.tenants.resolve('default')).id;
  for (const name of ['editor', 'viewer']) assert.equal((await call('POST', '/roles', { name })).status, 201);
});
after(async () => {
  await t.close();
  await smtp.stop();
});

describe('invitations: admin API', () => {
  test('create, get, list (status, cursor), revoke, resend; audited with the admin, never the token', async () => {
    const email = uniqueEmail('invitee');
    const created = await invite({ email, roles: ['editor', 'editor'], name: 'Ana', expires_in: 3600 });
    assert.equal(created.status, 'pending');
    assert.deepEqual(created.roles, ['editor']);
    assert.equal(created.email, email);
    const url = new URL(created.url);
    assert.equal(url.pathname, '/invite');
    const token = url.searchParams.get('token')!;
    // Stored as SHA-256 only.
    const stored = await t.db.query<{ token_hash: Buffer }>(
      'SELECT token_hash FROM invitations WHERE id = $1',
      [created.id],
    );
    assert.ok(Buffer.from(stored.rows[0]!.token_hash).equals(createHash('sha256').update(token).digest()));
    const mail = await nextMail(email, SUBJECT);
    assert.equal(linkIn(mail, '/invite').href, created.url);
    assert.match(mail.text, /expires in 1 hour/);

    const got = await call('GET', `/invitations/${created.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.url, undefined, 'the link is shown once');
    assert.equal((await call('GET', `/invitations/${created.id}`, undefined, readOnly)).status, 200);

    const audit = await t.db.query<{ data: Record<string, unknown> }>(
      "SELECT data FROM audit_events WHERE tenant_id = $1 AND type = 'invitation.created' AND data->>'invitation_id' = $2",
      [tenantId, created.id],
    );
    assert.equal(audit.rows[0]!.data.admin_id, adminId);
    assert.equal(audit.rows[0]!.data.via, 'admin_api');
    assert.ok(!JSON.stringify(audit.rows).includes(token), 'no token in the audit log');

    // A second invitation to the address replaces the first.
    const second = await invite({ email, send_email: false });
    assert.equal((await call('GET', `/invitations/${created.id}`)).body.status, 'revoked');
    const revokedFirst = await t.db.query(
      "SELECT 1 FROM audit_events WHERE type = 'invitation.revoked' AND data->>'invitation_id' = $1 AND data->>'reason' = 'replaced'",
      [created.id],
    );
    assert.equal(revokedFirst.rows.length, 1);

    // Lists: newest first, a page at a time, filtered by status.
    const others = [await invite({ email: uniqueEmail('p1'), send_email: false })];
    others.push(await invite({ email: uniqueEmail('p2'), send_email: false }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(
        'GET',
        `/invitations?status=pending&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200, JSON.stringify(page.body));
      const rows = page.body.invitations as { id: string; status: string }[];
      assert.ok(rows.every((r) => r.status === 'pending'));
      seen.push(...rows.map((r) => r.id));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length, 'none twice');
    for (const id of [second.id, ...others.map((o) => o.id)]) assert.ok(seen.includes(id));
    assert.ok(!seen.includes(created.id), 'a revoked one is not pending');
    const revokedList = await call('GET', '/invitations?status=revoked');
    assert.ok((revokedList.body.invitations as { id: string }[]).some((r) => r.id === created.id));

    // Revoke: pending only.
    const revoked = await call('DELETE', `/invitations/${second.id}`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.status, 'revoked');
    expectError(await call('DELETE', `/invitations/${second.id}`), 409, 'conflict', /revoked/);
    expectError(await call('POST', `/invitations/${second.id}/resend`, {}), 409, 'conflict');
    const revokedAudit = await t.db.query<{ data: Record<string, unknown> }>(
      "SELECT data FROM audit_events WHERE type = 'invitation.revoked' AND data->>'invitation_id' = $1",
      [second.id],
    );
    assert.equal(revokedAudit.rows[0]!.data.admin_id, adminId);
  });

  test('401 without a token, 403 for another tenant\u2019s key and for a read-only key writing', async () => {
    const pending = await invite({ email: uniqueEmail('scoped'), send_email: false });
    const writes: [string, string, unknown][] = [
      ['POST', '/invitations', { email: uniqueEmail('x') }],
      ['DELETE', `/invitations/${pending.id}`, undefined],
      ['POST', `/invitations/${pending.id}/resend`, {}],
    ];
    const reads: [string, string, unknown][] = [
      ['GET', '/invitations', undefined],
      ['GET', `/invitations/${pending.id}`, undefined],
    ];
    for (const [method, path, body] of [...writes, ...reads]) {
      assert.equal((await call(method, path, body, {})).status, 401, `${method} ${path} without a token`);
      assert.equal(
        (await call(method, path, body, otherTenantKey)).status,
        403,
        `${method} ${path}: other tenant`,
      );
    }
    for (const [method, path, body] of writes)
      assert.equal((await call(method, path, body, readOnly)).status, 403, `${method} ${path}: read-only`);
    assert.equal((await call('GET', `/invitations/${pending.id}`)).body.status, 'pending', 'nothing changed');
    // The tenant's own key may.
    assert.equal((await call('GET', '/invitations', undefined, otherTenantKey, 'other')).status, 200);
  });

  test('invalid input: 400 (unknown roles named, address, lifetime, fields, cursor), 404, 409 for an account', async () => {
    expectError(
      await call('POST', '/invitations', { email: uniqueEmail('r'), roles: ['editor', 'nope', 'ghost'] }),
      400,
      'invalid_request',
      /nope, ghost/,
    );
    expectError(await call('POST', '/invitations', { email: 'not an address' }), 400, 'invalid_request');
    expectError(
      await call('POST', '/invitations', { email: uniqueEmail('l'), expires_in: 31 * 86_400 }),
      400,
      'invalid_request',
    );
    expectError(
      await call('POST', '/invitations', { email: uniqueEmail('f'), roles: 'editor' }),
      400,
      'invalid_request',
    );
    expectError(await call('GET', '/invitations?status=lost'), 400, 'invalid_request');
    expectError(await call('GET', '/invitations?cursor=bogus'), 400, 'invalid_request');
    expectError(await call('GET', '/invitations/not-a-uuid'), 400, 'invalid_request');
    expectError(await call('GET', '/invitations/00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    const user = await t.createUser();
    expectError(await call('POST', '/invitations', { email: user.email.toUpperCase() }), 409, 'email_taken');
    assert.equal(
      (await t.db.query('SELECT 1 FROM invitations WHERE email_normalized = $1', [user.email.toLowerCase()]))
        .rows.length,
      0,
    );
  });
});

describe('invitations: the link', () => {
  test('the mailed link makes the account with its roles, verified, signed in; it works once', async () => {
    const email = uniqueEmail('accept');
    const created = await invite({ email, roles: ['editor', 'viewer'] });
    const link = linkIn(await nextMail(email, SUBJECT), '/invite');
    const agent = new HttpAgent();
    const page = await open(agent, link);
    assert.equal(page.status, 200);
    assert.match(page.html, new RegExp(`readonly value="${email.replace(/[.+]/g, '\\$&')}"`));

    // A weak password and a mismatch say so and spend nothing.
    const weak = expectPage(await accept(agent, page, { password: 'abc', confirm: 'abc' }), 'weak');
    assert.equal(weak.status, 400);
    const mismatch = expectPage(await accept(agent, page, { confirm: 'other' }), 'mismatch');
    assert.match(mismatch.html, /do not match/);
    assert.equal(await userIdOf(email), undefined);

    const done = await accept(agent, page, { name: 'Ana Invited' });
    const account = expectPage(done, 'the account page');
    assert.equal(account.url.pathname, '/account');
    assert.match(account.html, new RegExp(email.replace(/[.+]/g, '\\$&')));

    const userId = (await userIdOf(email))!;
    const row = await t.db.query<{ email_verified: boolean; name: string }>(
      'SELECT email_verified, name FROM users WHERE id = $1',
      [userId],
    );
    assert.deepEqual(row.rows[0], { email_verified: true, name: 'Ana Invited' });
    const roles = await call('GET', `/users/${userId}/roles`);
    assert.deepEqual(
      (roles.body.roles as { name: string }[]).map((r) => r.name),
      ['editor', 'viewer'],
    );
    const got = await call('GET', `/invitations/${created.id}`);
    assert.equal(got.body.status, 'accepted');
    assert.equal(got.body.user_id, userId);
    const accepted = await t.db.query<{ user_id: string; data: Record<string, unknown> }>(
      "SELECT user_id, data FROM audit_events WHERE type = 'invitation.accepted' AND data->>'invitation_id' = $1",
      [created.id],
    );
    assert.equal(accepted.rows[0]!.user_id, userId);
    // The password signs in, through the API too.
    assert.equal((await t.post('/v2/auth/login', { email, password: PASSWORD })).status, 200);

    // Used: the same page as any dead link, on the form and on its submission.
    const again = await open(new HttpAgent(), link);
    assert.equal(again.status, 410);
    assert.match(again.html, DEAD);
    const replay = expectPage(await accept(agent, page), 'replayed form');
    assert.equal(replay.status, 410);
    expectError(await call('DELETE', `/invitations/${created.id}`), 409, 'conflict', /accepted/);
    // The user's export holds the invitation; deleting the user leaves no invitation row.
    const exported = await call('GET', `/users/${userId}/export`);
    assert.equal(exported.status, 200, JSON.stringify(exported.body));
    assert.match(JSON.stringify(exported.body), new RegExp(created.id));
    assert.doesNotMatch(JSON.stringify(exported.body), /token/);
    assert.equal((await call('DELETE', `/users/${userId}`)).status, 204);
    assert.equal((await t.db.query('SELECT 1 FROM invitations WHERE id = $1', [created.id])).rows.length, 0);
  });

  test('two submissions at once: one account, the other a dead link', async () => {
    const email = uniqueEmail('race');
    const created = await invite({ email, roles: ['editor'], send_email: false });
    const agent = new HttpAgent();
    const page = await open(agent, created.url);
    const answers = await Promise.all([accept(agent, page), accept(agent, page)]);
    const statuses = answers.map((a) => (a.kind === 'page' ? a.page.status : a.status)).sort();
    assert.deepEqual(statuses, [200, 410], JSON.stringify(statuses));
    const users = await t.db.query('SELECT id FROM users WHERE email_normalized = $1', [email]);
    assert.equal(users.rows.length, 1);
    const roles = await t.db.query('SELECT 1 FROM rbac_user_roles WHERE user_id = $1', [users.rows[0]!.id]);
    assert.equal(roles.rows.length, 1);
  });

  test('expired, revoked, unknown and malformed links get the same page; resend kills the old link', async () => {
    const email = uniqueEmail('expire');
    const created = await invite({ email, send_email: false });
    await t.db.query("UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1", [
      created.id,
    ]);
    const agent = new HttpAgent();
    const expired = await open(agent, created.url);
    assert.equal(expired.status, 410);
    assert.equal((await call('GET', `/invitations/${created.id}`)).body.status, 'expired');
    const listed = await call('GET', '/invitations?status=expired');
    assert.ok((listed.body.invitations as { id: string }[]).some((r) => r.id === created.id));
    expectError(await call('DELETE', `/invitations/${created.id}`), 409, 'conflict', /expired/);

    // Resend: a new link that works, the old one dead (even once its row is live again).
    const resent = await call('POST', `/invitations/${created.id}/resend`, { expires_in: 600 });
    assert.equal(resent.status, 200, JSON.stringify(resent.body));
    assert.equal(resent.body.status, 'pending');
    assert.notEqual(resent.body.url, created.url);
    const mail = await nextMail(email, SUBJECT);
    assert.equal(linkIn(mail, '/invite').href, resent.body.url);
    assert.equal((await open(agent, created.url)).status, 410);
    const fresh = await open(agent, resent.body.url as string);
    assert.equal(fresh.status, 200);

    // Revoked: dead, on the page and on a form already open.
    assert.equal((await call('DELETE', `/invitations/${created.id}`)).status, 200);
    const revoked = await open(agent, resent.body.url as string);
    assert.equal(revoked.status, 410);
    const late = expectPage(await accept(agent, fresh), 'revoked form');
    assert.equal(late.status, 410);
    assert.equal(await userIdOf(email), undefined);

    const texts = [expired, revoked, late];
    for (const url of [
      `${t.base}/invite?token=${'A'.repeat(43)}`,
      `${t.base}/invite?token=short`,
      `${t.base}/invite`,
    ]) {
      const page = await open(agent, url);
      assert.equal(page.status, 410, url);
      texts.push(page);
    }
    for (const page of texts) assert.match(page.html, DEAD);
    // The form's CSRF token is checked.
    const noCsrf = await agent.submit(
      fresh,
      { password: PASSWORD, confirm: PASSWORD },
      { omit: ['csrf_token'] },
    );
    assert.equal(noCsrf.kind === 'page' ? noCsrf.page.status : 0, 403);
  });

  test('a tenant with sign-up off still accepts its invitations (under /t/{slug})', async () => {
    await t.createTenant('closed');
    const off = await call('PATCH', '', { settings: { sign_up: { enabled: false } } }, admin, 'closed');
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const register = expectPage(await new HttpAgent().walk(`${t.base}/t/closed/register`), 'no sign-up');
    assert.equal(register.status, 404);
    const email = uniqueEmail('closed');
    const created = await invite({ email, send_email: false }, 'closed');
    assert.equal(new URL(created.url).pathname, '/t/closed/invite');
    const agent = new HttpAgent();
    const done = expectPage(await accept(agent, await open(agent, created.url)), 'the account page');
    assert.equal(done.url.pathname, '/t/closed/account');
    assert.equal(
      (await call('GET', `/invitations/${created.id}`, undefined, admin, 'closed')).body.status,
      'accepted',
    );
  });
  test('a tenant without passwords: no password field, the account has none, on to sign in', async () => {
    await t.createTenant('nopw');
    const off = await call('PATCH', '', { settings: { sign_in: { password: false } } }, admin, 'nopw');
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const email = uniqueEmail('nopw');
    const created = await invite({ email, send_email: false }, 'nopw');
    const agent = new HttpAgent();
    const page = await open(agent, created.url);
    assert.doesNotMatch(page.html, /type="password"/);
    const done = expectPage(await agent.submit(page, { name: 'No Password' }), 'account created');
    assert.equal(done.status, 200);
    assert.match(done.html, /Account created/);
    const row = await t.db.query<{ password_hash: string | null; email_verified: boolean }>(
      'SELECT password_hash, email_verified FROM users WHERE email_normalized = $1',
      [email],
    );
    assert.deepEqual(row.rows[0], { password_hash: null, email_verified: true });
    assert.equal((await open(new HttpAgent(), created.url)).status, 410);
  });
});
