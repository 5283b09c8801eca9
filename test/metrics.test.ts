import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from './support/app.js';

/** The value of one series (name plus exact label set as printed), or 0 when absent. */
async function sample(t: TestApp, series: string, headers: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${t.base}/metrics`, { headers })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test('/metrics exposes the documented series and they move with traffic', async () => {
  const t = await startTestApp({ LOGIN_MAX_FAILURES: '2' });
  try {
    const response = await fetch(`${t.base}/metrics`);
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

test('METRICS_TOKEN protects /metrics', async () => {
  const t = await startTestApp({ METRICS_TOKEN: 'scrape-secret-123' });
  try {
    const anonymous = await fetch(`${t.base}/metrics`);
    assert.equal(anonymous.status, 401);
    const wrong = await fetch(`${t.base}/metrics`, {
      headers: { authorization: 'Bearer scrape-secret-124' },
    });
    assert.equal(wrong.status, 401);
    const right = await fetch(`${t.base}/metrics`, {
      headers: { authorization: 'Bearer scrape-secret-123' },
    });
    assert.equal(right.status, 200);
  } finally {
    await t.close();
  }
});
