// SSRF: with WEBHOOK_ALLOW_PRIVATE_NETWORKS off (the default), an endpoint whose host is or resolves to a
// loopback, private, link-local (cloud metadata), CGNAT, unspecified or multicast address, in any
// spelling (IPv6, IPv4-mapped, decimal), is refused with 400 invalid_request when it is saved; and an
// endpoint that points there by the time of delivery (DNS rebinding, or saved while it was allowed) is
// not connected to: the attempt fails and the receiver sees nothing. Plain http:// is refused too.
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { auditEvents } from '../../audit/events.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { startReceiver, waitFor, type Receiver } from '../../../test/support/webhook-receiver.js';
import { forbiddenAddress } from './network.js';

describe('webhooks: SSRF', () => {
  let t: TestApp;
  let receiver: Receiver;
  let auth: Record<string, string>;
  const base = '/v2/admin/tenants/default/webhooks';
  const post = (path: string, body: unknown) => t.post(path, body, auth);

  before(async () => {
    receiver = await startReceiver();
    t = await startTestApp(
      { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_POLL_INTERVAL: '50ms', WEBHOOK_MAX_ATTEMPTS: '1' },
      { workers: true },
    );
    auth = { authorization: `Bearer ${(await t.app.services.admins.create('ssrf@example.com')).token}` };
  });
  after(async () => {
    await t.close();
    await receiver.close();
  });

  test('internal addresses are refused when an endpoint is created or changed', async () => {
    for (const url of [
      'http://127.0.0.1/hook',
      'http://127.1.2.3:8080/hook',
      'http://10.0.0.5/hook',
      'http://172.16.0.1/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/hook',
      'http://0.0.0.0/hook',
      'http://224.0.0.1/hook',
      'http://[::1]/hook',
      'http://[::]/hook',
      'http://[fd00::1]/hook',
      'http://[fe80::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[::ffff:a9fe:a9fe]/hook',
      'http://2130706433/hook', // 127.0.0.1 in decimal
      'http://0x7f.1/hook',
      'http://localhost/hook',
      'http://LOCALHOST./hook',
      `http://localhost:${receiver.port}/hook/x`,
    ]) {
      const res = await post(base, { url, events: ['*'] });
      assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'invalid_request', url);
      assert.match(String(res.body.error_description), /WEBHOOK_ALLOW_PRIVATE_NETWORKS/, url);
    }
    // A name that resolves (here, through /etc/hosts) to an internal address: the resolved one is checked.
    const own = os.hostname();
    const resolved = await lookup(own).catch(() => null);
    if (resolved && forbiddenAddress(resolved.address)) {
      const res = await post(base, { url: `http://${own}:${receiver.port}/hook/x`, events: ['*'] });
      assert.equal(res.status, 400, `${own} resolves to ${resolved.address}`);
    }
    // Public addresses are fine (they need not answer to be saved).
    const ok = await post(base, { url: 'http://93.184.215.14/hook', events: ['*'] });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const changed = await t.app.inject({
      method: 'PUT',
      url: `${base}/${ok.body.id as string}`,
      headers: auth,
      payload: { url: 'http://[::ffff:10.0.0.1]/x' },
    });
    assert.equal(changed.statusCode, 400);
    assert.equal(
      (await t.db.query(`SELECT url FROM webhook_endpoints`)).rows[0]!.url,
      'http://93.184.215.14/hook',
    );
    await t.app.inject({ method: 'DELETE', url: `${base}/${ok.body.id as string}`, headers: auth });
  });

  test('the address classification', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.1.1',
      '169.254.169.254',
      '::1',
      '::ffff:7f00:1',
      'fc00::1',
      '64:ff9b::a00:1',
    ])
      assert.ok(forbiddenAddress(address), address);
    for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])
      assert.equal(forbiddenAddress(address), null, address);
  });

  test('an endpoint pointing to an internal address by delivery time is not connected to', async () => {
    const tenant = await t.app.services.tenants.resolve(undefined);
    for (const [name, host] of [
      ['rebound-ip', '127.0.0.1'],
      ['rebound-name', 'localhost'],
    ] as const) {
      const created = await post(base, { url: 'http://93.184.215.14/hook', events: ['user.logout'] });
      assert.equal(created.status, 201);
      receiver.configure(name, created.body.secret as string);
      // What a name that resolves to 127.0.0.1 by now would give: the row points at the receiver.
      await t.db.query(`UPDATE webhook_endpoints SET url = $1 WHERE id = $2`, [
        `http://${host}:${receiver.port}/hook/${name}`,
        created.body.id,
      ]);
      await insertAuditEvent(t.db, { tenantId: tenant.id, type: auditEvents.userLogout });
      const row = await waitFor('the attempt', async () => {
        const { rows } = await t.db.query<{ status: string; last_error: string | null }>(
          `SELECT status, last_error FROM webhook_deliveries WHERE endpoint_id = $1`,
          [created.body.id],
        );
        return rows[0]?.status === 'failed' ? rows[0] : null;
      });
      assert.match(String(row.last_error), /not a public address|loopback name/);
      await t.app.inject({ method: 'DELETE', url: `${base}/${created.body.id as string}`, headers: auth });
    }
    assert.equal(receiver.received().length, 0);
  });

  test('http:// is refused unless WEBHOOK_ALLOW_HTTP is on', async () => {
    const strict = await startTestApp({});
    try {
      const token = (await strict.app.services.admins.create('strict@example.com')).token;
      const res = await strict.post(
        base,
        { url: 'http://93.184.215.14/hook', events: ['*'] },
        {
          authorization: `Bearer ${token}`,
        },
      );
      assert.equal(res.status, 400);
      assert.match(String(res.body.error_description), /https/);
    } finally {
      await strict.close();
    }
  });
});
