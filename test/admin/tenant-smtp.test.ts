// A tenant's own SMTP server (settings.smtp): two real SMTP receivers, the installation's and tenant A's
// (which accepts only A's login). A's mail (the verification and reset links here; every kind goes through
// the outbox and its router) arrives at A's server, logged in with the stored password; B's at the
// installation's. The password is sealed in the row, never shown, kept when a change leaves it out; only
// a full admin key may change the setting; bad hosts, ports and senders are refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../support/app.js';
import { linkIn, smtpEnv, startSmtpServer, type TestSmtpServer } from '../support/smtp.js';

const CREDENTIALS = { user: 'acme-mailer', password: 'Acme-smtp-pa55word!' };

describe('tenant SMTP', () => {
  let installation: TestSmtpServer;
  let acmeServer: TestSmtpServer;
  let t: TestApp;
  let admin: Record<string, string>;
  const call = async (method: string, path: string, body?: unknown, headers = admin) => {
    const r = await fetch(`${t.base}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const acmeSmtp = (extra: Record<string, unknown> = {}) => ({
    host: '127.0.0.1',
    port: acmeServer.port,
    user: CREDENTIALS.user,
    password: CREDENTIALS.password,
    from: 'Acme <no-reply@acme.example>',
    ...extra,
  });
  const storedSmtp = async () =>
    (
      await t.db.query<{ smtp: Record<string, unknown> | null }>(
        "SELECT settings->'smtp' AS smtp FROM tenants WHERE slug = 'acme'",
      )
    ).rows[0]!.smtp;
  const forgot = async (slug: string) => {
    const email = uniqueEmail(slug);
    const prefix = slug === 'default' ? '' : `/t/${slug}`;
    assert.equal(
      (await t.post(`${prefix}/v2/auth/register`, { email, password: STRONG_PASSWORD })).status,
      201,
    );
    assert.equal((await t.post(`${prefix}/v2/auth/forgot`, { email })).status, 202);
    return email;
  };

  before(async () => {
    installation = await startSmtpServer();
    acmeServer = await startSmtpServer({ credentials: CREDENTIALS });
    t = await startTestApp({ ...smtpEnv(installation), RATE_LIMIT_PER_IP: '10000' });
    admin = { authorization: `Bearer ${(await t.app.services.admins.create('ops@example.com')).token}` };
    assert.equal((await call('POST', '/v2/admin/tenants', { slug: 'acme', name: 'Acme' })).status, 201);
    assert.equal((await call('POST', '/v2/admin/tenants', { slug: 'beta', name: 'Beta' })).status, 201);
  });
  after(async () => {
    await t.close();
    await installation.stop();
    await acmeServer.stop();
  });

  test('invalid settings are refused with 400; nothing is stored', async () => {
    for (const [what, smtp] of [
      ['a URL for a host', acmeSmtp({ host: 'smtp://mail.example.com' })],
      ['a host with a port', acmeSmtp({ host: 'mail.example.com:25' })],
      ['a host with a path', acmeSmtp({ host: 'mail.example.com/x' })],
      ['port 0', acmeSmtp({ port: 0 })],
      ['port 65536', acmeSmtp({ port: 65_536 })],
      ['a sender that is not an address', acmeSmtp({ from: 'Acme' })],
      ['two senders', acmeSmtp({ from: 'a@acme.example, b@acme.example' })],
      ['a sender with a header break', acmeSmtp({ from: 'Acme\r\nBcc: x@evil.example <a@acme.example>' })],
      ['a password without a user', acmeSmtp({ user: undefined })],
      ['an unknown member', acmeSmtp({ tls: false })],
      ['no host', acmeSmtp({ host: undefined })],
    ] as const) {
      const res = await call('PATCH', '/v2/admin/tenants/acme', { settings: { smtp } });
      assert.equal(res.status, 400, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'invalid_request', what);
    }
    assert.equal(await storedSmtp(), null);
  });

  test("only a full admin key sets it: the tenant's own key and a read-only key get 403", async () => {
    for (const scope of [{ scope: 'tenant', tenant: 'acme' }, { scope: 'read_only' }]) {
      const made = await call('POST', '/v2/admin/api-keys', scope);
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const key = { authorization: `Bearer ${String(made.body.key)}` };
      const res = await call('PATCH', '/v2/admin/tenants/acme', { settings: { smtp: acmeSmtp() } }, key);
      assert.equal(res.status, 403, `${scope.scope}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'access_denied');
      if (scope.scope === 'tenant') {
        // The tenant's own key still changes its other settings.
        const other = await call(
          'PATCH',
          '/v2/admin/tenants/acme',
          { settings: { lifetimes: { access_token: 600 } } },
          key,
        );
        assert.equal(other.status, 200, JSON.stringify(other.body));
      }
    }
    const none = await call('PATCH', '/v2/admin/tenants/acme', { settings: { smtp: acmeSmtp() } }, {});
    assert.equal(none.status, 401);
    assert.equal(await storedSmtp(), null);
  });

  test("A's mail goes through A's server with its login; B's through the installation's", async () => {
    const set = await call('PATCH', '/v2/admin/tenants/acme', { settings: { smtp: acmeSmtp() } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const shown = (set.body.settings as Record<string, Record<string, unknown>>).smtp!;
    assert.deepEqual(shown, {
      host: '127.0.0.1',
      port: acmeServer.port,
      secure: false,
      user: CREDENTIALS.user,
      from: 'Acme <no-reply@acme.example>',
      password_set: true,
    });
    const got = await call('GET', '/v2/admin/tenants/acme');
    assert.ok(!JSON.stringify(got.body).includes(CREDENTIALS.password), 'GET never shows the password');
    assert.equal((got.body.settings as Record<string, Record<string, unknown>>).smtp!.password_set, true);
    const listed = await call('GET', '/v2/admin/tenants');
    assert.ok(!JSON.stringify(listed.body).includes(CREDENTIALS.password), 'nor the list');
    assert.ok(!JSON.stringify(listed.body).includes('password_sealed'), 'nor the sealed value');

    // The row holds the sealed value, not the password.
    const stored = (await storedSmtp())!;
    assert.equal(stored.password, undefined);
    assert.equal(typeof stored.password_sealed, 'string');
    assert.ok(!JSON.stringify(stored).includes(CREDENTIALS.password), 'not in the row');
    assert.ok(
      Buffer.from(String(stored.password_sealed), 'base64').length > CREDENTIALS.password.length + 16,
    );

    const acmeUser = await forgot('acme');
    const mail = await acmeServer.waitFor(
      (m) => m.to.includes(acmeUser) && m.text.includes('reset-password'),
    );
    assert.equal(mail.authUser, CREDENTIALS.user);
    assert.equal(mail.from, 'no-reply@acme.example');
    assert.equal(linkIn(mail, '/reset-password').pathname, '/t/acme/reset-password');

    const betaUser = await forgot('beta');
    const betaMail = await installation.waitFor((m) => m.to.includes(betaUser));
    assert.equal(betaMail.authUser, null);
    assert.equal(betaMail.from, 'no-reply@example.com');
    await t.app.services.outbox.drain();
    assert.ok(!installation.messages().some((m) => m.to.includes(acmeUser)), 'not at the installation');
    assert.ok(!acmeServer.messages().some((m) => m.to.includes(betaUser)), "not at A's server");
  });

  test('a change without the password keeps it; null goes back to the installation', async () => {
    const sealed = (await storedSmtp())!.password_sealed;
    const { password: _left, ...withoutPassword } = acmeSmtp({ from: 'no-reply@acme.example' });
    const res = await call('PATCH', '/v2/admin/tenants/acme', { settings: { smtp: withoutPassword } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body.settings as Record<string, Record<string, unknown>>).smtp!.password_set, true);
    assert.equal((await storedSmtp())!.password_sealed, sealed, 'the stored password is kept');
    // The next mail uses the changed setting (a new transport) and still logs in.
    const email = await forgot('acme');
    const mail = await acmeServer.waitFor((m) => m.to.includes(email));
    assert.equal(mail.authUser, CREDENTIALS.user);
    assert.equal(mail.fromName, '');

    assert.equal((await call('PATCH', '/v2/admin/tenants/acme', { settings: { smtp: null } })).status, 200);
    const back = await forgot('acme');
    await installation.waitFor((m) => m.to.includes(back));
  });
});
