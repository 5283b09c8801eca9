import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from './support/app.js';
import { runCli, startServerProcess } from './support/cli.js';
import { createTestDatabase } from './support/db.js';

/** The value of one series (name plus exact label set as printed), or 0 when absent. */
async function sample(t: TestApp, series: string, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${t.managementBase}/metrics`, { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test('/metrics exposes the documented series and they move with traffic', async () => {
  const t = await startTestApp({ LOGIN_MAX_FAILURES: '2' });
  try {
    const response = await fetch(`${t.managementBase}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const text = await response.text();
    for (const name of [
      'hellojohn_http_request_duration_seconds',
      'hellojohn_db_query_duration_seconds',
      'hellojohn_db_pool_connections',
      'hellojohn_db_pool_idle',
      'hellojohn_db_pool_waiting',
      'hellojohn_logins_total',
      'hellojohn_tokens_issued_total',
      'hellojohn_refresh_token_reuse_detected_total',
      'hellojohn_rate_limit_rejections_total',
      'hellojohn_redis_up',
      'hellojohn_sweeper_runs_total',
      'hellojohn_password_hash_busy',
      'hellojohn_password_hash_queued',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }

    const email = uniqueEmail('metrics');
    const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD });
    await t.post('/v2/auth/login', { email, password: 'Wrong-Password-1' });
    await t.post('/v2/auth/login', { email, password: 'Wrong-Password-1' });
    await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD }); // locked
    const rotated = await t.post('/v2/auth/refresh', { refresh_token: registered.body.refresh_token });
    assert.equal(rotated.status, 200);
    await t.post('/v2/auth/refresh', { refresh_token: registered.body.refresh_token }); // reuse

    assert.equal(await sample(t, 'hellojohn_logins_total{result="ok"}'), 1);
    assert.equal(await sample(t, 'hellojohn_logins_total{result="failed"}'), 2);
    assert.equal(await sample(t, 'hellojohn_logins_total{result="locked"}'), 1);
    assert.equal(await sample(t, 'hellojohn_tokens_issued_total{grant="password"}'), 2);
    assert.equal(await sample(t, 'hellojohn_tokens_issued_total{grant="refresh_token"}'), 1);
    assert.equal(await sample(t, 'hellojohn_refresh_token_reuse_detected_total'), 1);
    assert.equal(await sample(t, 'hellojohn_rate_limit_rejections_total{scope="/v2/auth/login"}'), 1);
    assert.ok((await sample(t, 'hellojohn_db_query_duration_seconds_count{kind="query"}')) > 5);
    assert.ok(
      (await sample(
        t,
        'hellojohn_http_request_duration_seconds_count{method="POST",route="/v2/auth/login",status="401"}',
      )) === 2,
    );
    assert.ok((await sample(t, 'hellojohn_db_pool_connections')) >= 1);
    // Nothing is being hashed between requests.
    assert.equal(await sample(t, 'hellojohn_password_hash_busy'), 0);
    assert.equal(await sample(t, 'hellojohn_password_hash_queued'), 0);
  } finally {
    await t.close();
  }
});

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

test('by default /metrics is only on the management listener; /health and /ready are on both', async () => {
  const t = await startTestApp();
  try {
    const main = await fetch(`${t.base}/metrics`);
    assert.equal(main.status, 404, 'the public port does not serve metrics');
    assert.equal(((await main.json()) as { error: string }).error, 'not_found');
    const management = await fetch(`${t.managementBase}/metrics`);
    assert.equal(management.status, 200);
    assert.match(await management.text(), /^# TYPE hellojohn_logins_total /m);
    for (const base of [t.base, t.managementBase]) {
      assert.equal((await fetch(`${base}/health`)).status, 200, `${base}/health`);
      assert.equal((await fetch(`${base}/ready`)).status, 200, `${base}/ready`);
    }
    // Nothing of the public API is reachable through the management listener.
    assert.equal((await fetch(`${t.managementBase}/.well-known/openid-configuration`)).status, 404);
    // Scrapes are not counted as traffic.
    assert.equal(
      await sample(
        t,
        'hellojohn_http_request_duration_seconds_count{method="GET",route="/metrics",status="200"}',
      ),
      0,
    );
  } finally {
    await t.close();
  }
});

test('METRICS_TOKEN protects /metrics on the management listener', async () => {
  const t = await startTestApp({ METRICS_TOKEN: 'scrape-secret-123' });
  try {
    assert.equal((await fetch(`${t.managementBase}/metrics`)).status, 401);
    assert.equal((await fetch(`${t.managementBase}/metrics`, bearer('scrape-secret-124'))).status, 401);
    assert.equal((await fetch(`${t.managementBase}/metrics`, bearer('scrape-secret-123'))).status, 200);
    // A token alone does not put metrics on the public port.
    assert.equal((await fetch(`${t.base}/metrics`, bearer('scrape-secret-123'))).status, 404);
  } finally {
    await t.close();
  }
});

test('METRICS_ON_MAIN_PORT serves /metrics on the main port too, and only with the token', async () => {
  assert.throws(
    () => loadConfig({ METRICS_ON_MAIN_PORT: 'true' }),
    /METRICS_ON_MAIN_PORT requires METRICS_TOKEN/,
  );
  const t = await startTestApp({ METRICS_ON_MAIN_PORT: 'true', METRICS_TOKEN: 'scrape-secret-123' });
  try {
    const anonymous = await fetch(`${t.base}/metrics`);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: string }).error, 'invalid_token');
    assert.equal((await fetch(`${t.base}/metrics`, bearer('scrape-secret-124'))).status, 401);
    assert.equal((await fetch(`${t.base}/metrics`, bearer('scrape-secret-123'))).status, 200);
    assert.equal((await fetch(`${t.managementBase}/metrics`)).status, 401);
  } finally {
    await t.close();
  }
});

test('METRICS_ENABLED=false removes /metrics from both listeners', async () => {
  const t = await startTestApp({ METRICS_ENABLED: 'false' });
  try {
    assert.equal((await fetch(`${t.base}/metrics`)).status, 404);
    assert.equal((await fetch(`${t.managementBase}/metrics`)).status, 404);
    assert.equal((await fetch(`${t.managementBase}/health`)).status, 200);
  } finally {
    await t.close();
  }
});

test('MANAGEMENT_PORT must be a port and differ from PORT', () => {
  assert.deepEqual(loadConfig({}).management, { host: '127.0.0.1', port: 9000 });
  assert.throws(() => loadConfig({ PORT: '9000' }), /MANAGEMENT_PORT must differ from PORT/);
  assert.throws(() => loadConfig({ MANAGEMENT_PORT: '70000' }), /MANAGEMENT_PORT must be a whole number/);
});

/** A non-loopback IPv4 address of this machine, to check what a listener on all interfaces exposes. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

test(
  'hellojohn serve on all interfaces: management stays on loopback, the public address has no /metrics; SIGTERM closes both',
  { skip: externalAddress ? false : 'no non-loopback IPv4 address on this machine' },
  async () => {
    const db = await createTestDatabase();
    const server = await startServerProcess({ ...db.env, HOST: '0.0.0.0' });
    try {
      assert.match(
        server.logs(),
        /"msg":"hellojohn listening on 0\.0\.0\.0:\d+ \(management: 127\.0\.0\.1:\d+\)"/,
      );
      const { port } = new URL(server.url);
      const { port: managementPort } = new URL(server.managementUrl);
      const publicBase = `http://${externalAddress}:${port}`;
      assert.equal((await fetch(`${publicBase}/ready`)).status, 200, 'probes reach the public address');
      assert.equal((await fetch(`${publicBase}/metrics`)).status, 404, 'no metrics on the public address');
      await assert.rejects(
        fetch(`http://${externalAddress}:${managementPort}/metrics`),
        'the management port is not reachable from outside',
      );
      assert.equal((await fetch(`${server.managementUrl}/metrics`)).status, 200);
      // An idle keep-alive connection to the management port must not hold shutdown up.
      await (await fetch(`${server.managementUrl}/health`)).text();

      assert.doesNotMatch(server.logs(), /has no METRICS_TOKEN/, 'no warning on loopback');

      assert.equal(await server.stop('SIGTERM'), 0);
      assert.match(server.logs(), /shutdown complete/);
      await assert.rejects(fetch(`${server.url}/health`));
      await assert.rejects(fetch(`${server.managementUrl}/health`));
    } finally {
      server.child.kill('SIGKILL');
      await db.drop();
    }
  },
);

test('a management listener beyond loopback without METRICS_TOKEN is served, with a warning', async () => {
  const db = await createTestDatabase();
  const server = await startServerProcess({ ...db.env, MANAGEMENT_HOST: '0.0.0.0' });
  try {
    assert.match(server.logs(), /"level":40[^\n]*has no METRICS_TOKEN/);
    assert.equal((await fetch(`${server.managementUrl}/metrics`)).status, 200, 'served all the same');
  } finally {
    server.child.kill('SIGKILL');
    await server.exited;
    await db.drop();
  }
  const withToken = await createTestDatabase();
  const quiet = await startServerProcess({
    ...withToken.env,
    MANAGEMENT_HOST: '0.0.0.0',
    METRICS_TOKEN: 'x'.repeat(32),
  });
  try {
    assert.doesNotMatch(quiet.logs(), /has no METRICS_TOKEN/);
  } finally {
    quiet.child.kill('SIGKILL');
    await quiet.exited;
    await withToken.drop();
  }
});

test('hellojohn serve refuses to start when the management port is taken', async () => {
  const db = await createTestDatabase();
  const holder = createServer().listen(0, '127.0.0.1');
  await once(holder, 'listening');
  try {
    const port = String((holder.address() as AddressInfo).port);
    const serve = await runCli(['serve'], { ...db.env, PORT: '0', HOST: '127.0.0.1', MANAGEMENT_PORT: port });
    assert.equal(serve.code, 1);
    assert.match(serve.stderr, new RegExp(`cannot listen on management 127\\.0\\.0\\.1:${port}`));
  } finally {
    holder.close();
    await db.drop();
  }
});
