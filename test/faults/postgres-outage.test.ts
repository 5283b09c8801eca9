// PostgreSQL goes away for ~5 s under a load of registrations and refreshes, then comes back.
//
// The server is a real `hellojohn serve` process on a throwaway PostgreSQL of this test's own (the shared
// server on 5432 is never touched), stopped with `pg_ctl stop -m immediate` (every backend killed at
// once, like a crash) and started again on the same port. What must hold:
//   - while it is down, requests fail fast with 503, Retry-After and the error JSON; none waits longer than
//     DATABASE_POOL_TIMEOUT (plus scheduling slack); nothing else than 2xx or 503 is ever answered;
//   - /ready says 503 while down and 200 after; the process never exits;
//   - once it is back, service resumes by itself;
//   - no registration that got 201 is missing, and none is half-written (a user without its audit event,
//     verification token or session);
//   - a refresh that got 200 handed out a working token; one that got 503 left the old token usable.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAST_ARGON2, STRONG_PASSWORD } from '../support/app.js';
import { startServerProcess, type ServerProcess } from '../support/cli.js';
import { unlessAvailable } from '../support/env.js';
import { problemWith503, runWorkers, sleep, timedRequest, type Timed } from '../support/load.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../support/throwaway-postgres.js';

const skip = unlessAvailable({ root: true });

const POOL_TIMEOUT_MS = 2_000;
const OUTAGE_MS = 5_000;
const WORKERS = 6;
const CHAINS = 12;
// What the load client tolerates before calling a request hung (far above anything the server may take).
const CLIENT_DEADLINE_MS = 30_000;
// Scheduling slack on a shared 2-core machine, on top of the configured timeout.
const SLACK_MS = 1_500;

const MASTER_KEYS = {
  SIGNING_MASTER_KEY: 'a'.repeat(64),
  SECRETBOX_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
};

interface RegisterRecord extends Timed {
  email: string;
}
interface RefreshRecord extends Timed {
  chain: number;
  oldToken: string;
}

void describe('PostgreSQL outage under load', { skip, timeout: 180_000 }, () => {
  let pg: ThrowawayPostgres;
  let server: ServerProcess;

  before(async () => {
    pg = await startThrowawayPostgres({ settings: { max_connections: '40' } });
    await pg.psql('CREATE DATABASE hellojohn');
    server = await startServerProcess({
      DATABASE_URL: pg.url('hellojohn'),
      DATABASE_MAX_CONNECTIONS: '5',
      DATABASE_POOL_TIMEOUT: `${POOL_TIMEOUT_MS}ms`,
      DATABASE_STATEMENT_TIMEOUT: '5s',
      DATABASE_CONNECT_TIMEOUT: '10s',
      RATE_LIMIT_PER_IP: '1000000',
      RATE_LIMIT_PER_ACCOUNT: '1000000',
      RATE_LIMIT_FAILURES_PER_IP: '1000000',
      RATE_LIMIT_PER_CLIENT: '1000000',
      ...FAST_ARGON2,
      ...MASTER_KEYS,
    });
  });

  after(async () => {
    if (server) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    if (pg) await pg.destroy();
  });

  test('503 + Retry-After while down, no hang, no crash, recovery without restart, nothing lost or half-written', async (t) => {
    const base = server.url;
    let emailCounter = 0;
    const registers: RegisterRecord[] = [];
    const refreshes: RefreshRecord[] = [];

    // Refresh-token chains: each is used by one worker at a time, so a chain never races with itself.
    const chains: { token: string; busy: boolean; access: string }[] = [];
    for (let i = 0; i < CHAINS; i++) {
      const email = `chain.${i}@example.com`;
      const r = await timedRequest(base, 'POST', '/v2/auth/register', { email, password: STRONG_PASSWORD });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      chains.push({
        token: r.body.refresh_token as string,
        access: r.body.access_token as string,
        busy: false,
      });
    }

    const step = async (worker: number) => {
      const free = chains.findIndex((c) => !c.busy);
      if (worker % 2 === 0 || free < 0) {
        const email = `outage.${emailCounter++}@example.com`;
        const r = await timedRequest(
          base,
          'POST',
          '/v2/auth/register',
          { email, password: STRONG_PASSWORD },
          { timeoutMs: CLIENT_DEADLINE_MS },
        );
        registers.push({ ...r, email });
      } else {
        const chain = chains[free]!;
        chain.busy = true;
        const oldToken = chain.token;
        const r = await timedRequest(
          base,
          'POST',
          '/v2/auth/refresh',
          { refresh_token: oldToken },
          { timeoutMs: CLIENT_DEADLINE_MS },
        );
        refreshes.push({ ...r, chain: free, oldToken });
        if (r.status === 200) {
          chain.token = r.body.refresh_token as string;
          chain.access = r.body.access_token as string;
        }
        chain.busy = false;
      }
    };

    // Readiness, sampled throughout.
    const readiness: Timed[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        readiness.push(
          await timedRequest(base, 'GET', '/ready', undefined, { timeoutMs: CLIENT_DEADLINE_MS }),
        );
        await sleep(200);
      }
    })();

    const load = runWorkers(WORKERS, step);
    await sleep(2_000);
    const downAt = performance.now();
    await pg.stop('immediate');
    const stoppedAt = performance.now();
    await sleep(OUTAGE_MS);
    const restartAt = performance.now();
    await pg.start();
    const upAt = performance.now();

    // Let the load run until the service is back (bounded), then a little longer.
    const recoveryDeadline = upAt + 20_000;
    const ok = (r: Timed) => r.status >= 200 && r.status < 300;
    while (performance.now() < recoveryDeadline) {
      const recovered = [...registers, ...refreshes].filter((r) => r.start > upAt && ok(r));
      if (recovered.length >= 20) break;
      await sleep(100);
    }
    await sleep(1_000);
    load.stop();
    await load.done;
    sampling = false;
    await sampler;

    const all: Timed[] = [...registers, ...refreshes];
    const duringOutage = all.filter((r) => r.end > stoppedAt && r.start < restartAt);
    const firstRecovered = all
      .filter((r) => r.start > upAt && ok(r))
      .reduce((min, r) => Math.min(min, r.end), Infinity);
    const counts = (list: Timed[]) =>
      list.reduce<Record<string, number>>(
        (acc, r) => ((acc[String(r.status)] = (acc[String(r.status)] ?? 0) + 1), acc),
        {},
      );
    const maxDownLatency = Math.max(0, ...duringOutage.map((r) => r.ms));
    t.diagnostic(
      `register ${JSON.stringify(counts(registers))}, refresh ${JSON.stringify(counts(refreshes))}; ` +
        `${duringOutage.length} requests overlapped the outage (${Math.round(restartAt - stoppedAt)} ms, stop took ` +
        `${Math.round(stoppedAt - downAt)} ms): ${JSON.stringify(counts(duringOutage))}, max latency ${Math.round(maxDownLatency)} ms; ` +
        `pg_ctl start took ${Math.round(upAt - restartAt)} ms; first 2xx ${Math.round(firstRecovered - upAt)} ms after PostgreSQL was up`,
    );

    // No crash, no hang, only 2xx or the documented 503.
    assert.equal(
      server.child.exitCode,
      null,
      `the server process exited:\n${server.logs().split('\n').slice(-15).join('\n')}`,
    );
    for (const r of all) {
      assert.ok(
        r.status !== 0,
        `no answer for ${r.method} ${r.path} after ${Math.round(r.ms)} ms: ${r.error}`,
      );
      if (!ok(r)) assert.equal(problemWith503(r), null, `${r.path}: ${JSON.stringify(r.body)}`);
    }
    assert.ok(
      duringOutage.length >= WORKERS,
      `the load kept running through the outage (${duringOutage.length})`,
    );
    const failedWhileDown = duringOutage.filter((r) => r.start > stoppedAt && r.end < restartAt);
    assert.ok(failedWhileDown.length > 0, 'requests were made while PostgreSQL was down');
    for (const r of failedWhileDown) assert.equal(r.status, 503, `${r.path} while down: ${r.status}`);
    assert.ok(
      maxDownLatency <= POOL_TIMEOUT_MS + SLACK_MS,
      `slowest request during the outage took ${Math.round(maxDownLatency)} ms (DATABASE_POOL_TIMEOUT ${POOL_TIMEOUT_MS} ms)`,
    );

    // /ready: not ready while down, ready again after, never hanging.
    const firstReadyAfter = readiness.find((r) => r.start > upAt && r.status === 200);
    t.diagnostic(
      `/ready: ${readiness.length} probes, max ${Math.round(Math.max(...readiness.map((r) => r.ms)))} ms; ` +
        `200 again ${firstReadyAfter ? Math.round(firstReadyAfter.end - upAt) : '∞'} ms after PostgreSQL was up`,
    );
    const readyDown = readiness.filter((r) => r.start > stoppedAt && r.end < restartAt);
    assert.ok(
      readyDown.length > 0 && readyDown.every((r) => r.status === 503),
      JSON.stringify(counts(readyDown)),
    );
    for (const r of readyDown) assert.equal(problemWith503(r), null);
    assert.equal(readiness.at(-1)!.status, 200, 'ready again after the outage');
    assert.ok(Math.max(...readiness.map((r) => r.ms)) <= POOL_TIMEOUT_MS + SLACK_MS);

    // Service resumed on its own, promptly.
    assert.ok(Number.isFinite(firstRecovered), 'requests succeed again after PostgreSQL is back');
    assert.ok(
      firstRecovered - upAt < 10_000,
      `recovered ${Math.round(firstRecovered - upAt)} ms after restart`,
    );

    // Registrations: every 201 is there, and each user is whole (or absent when the request failed).
    const rows = await pg.psql(
      `SELECT u.email || '|' ||
              (SELECT count(*) FROM audit_events a WHERE a.user_id = u.id AND a.type = 'user.registered') || '|' ||
              (SELECT count(*) FROM email_tokens e WHERE e.user_id = u.id AND e.purpose = 'verify_email') || '|' ||
              (SELECT count(*) FROM sessions s JOIN refresh_tokens rt ON rt.session_id = s.id
                WHERE s.user_id = u.id AND s.kind = 'api')
         FROM users u`,
      'hellojohn',
    );
    const stored = new Map(
      rows
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [email, ...n] = line.split('|');
          return [email!, n.map(Number)] as const;
        }),
    );
    for (const [email, [audit, tokens, sessions]] of stored) {
      assert.ok(
        audit === 1 && tokens === 1 && sessions! >= 1,
        `half-written account ${email}: ${[audit, tokens, sessions].join('/')}`,
      );
    }
    const created = registers.filter((r) => r.status === 201);
    for (const r of created) assert.ok(stored.has(r.email), `registered (201) but missing: ${r.email}`);
    const failed = registers.filter((r) => r.status !== 201);
    t.diagnostic(
      `${created.length} registrations stored; of ${failed.length} failed ones, ` +
        `${failed.filter((r) => stored.has(r.email)).length} were committed whole before the connection dropped, none half-written`,
    );

    // Refresh: every chain's latest token still works (200s handed out working tokens; a 503 left the old
    // one live, or the chain's next use of it would have failed as reuse), and so do its access tokens.
    const refreshFailed = refreshes.filter((r) => r.status === 503);
    for (const r of refreshFailed) {
      const later = refreshes.find((x) => x.chain === r.chain && x.start > r.end);
      if (later) assert.equal(later.oldToken, r.oldToken, 'a failed refresh does not advance its chain');
    }
    for (const [i, chain] of chains.entries()) {
      const me = await timedRequest(base, 'GET', '/v2/me', undefined, {
        headers: { authorization: `Bearer ${chain.access}` },
      });
      assert.equal(
        me.status,
        200,
        `chain ${i}: /v2/me with its latest access token: ${JSON.stringify(me.body)}`,
      );
      const r = await timedRequest(base, 'POST', '/v2/auth/refresh', { refresh_token: chain.token });
      assert.equal(r.status, 200, `chain ${i}: its latest refresh token: ${JSON.stringify(r.body)}`);
    }
    assert.ok(
      refreshes.some((r) => r.status === 200) && refreshFailed.length > 0,
      JSON.stringify(counts(refreshes)),
    );
  });

  test('a registration whose connection dies at its last write leaves nothing behind, and the server lives', async () => {
    // The outage above catches registrations between statements only by chance; this makes it certain:
    // the server process of the connection is terminated during the session insert, the last write of a
    // registration, inside its transaction. The process must survive the lost connection too.
    await pg.psql(
      `CREATE FUNCTION hj_cut() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF (SELECT email FROM users WHERE id = NEW.user_id) LIKE 'cut.%' THEN
           PERFORM pg_terminate_backend(pg_backend_pid());
           PERFORM pg_sleep(10); -- interrupted at once by the termination
         END IF;
         RETURN NEW;
       END $$;
       CREATE TRIGGER hj_cut BEFORE INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION hj_cut();`,
      'hellojohn',
    );
    try {
      const email = 'cut.1@example.com';
      const r = await timedRequest(server.url, 'POST', '/v2/auth/register', {
        email,
        password: STRONG_PASSWORD,
      });
      assert.equal(problemWith503(r), null, JSON.stringify(r.body));
      assert.equal(server.child.exitCode, null, 'the server survived the lost connection');
      const leftovers = await pg.psql(
        `SELECT (SELECT count(*) FROM users WHERE email = '${email}') || '/' ||
                (SELECT count(*) FROM email_tokens WHERE email = '${email}')`,
        'hellojohn',
      );
      assert.equal(leftovers, '0/0', 'users/email_tokens rows left by the failed registration');
      await pg.psql('DROP TRIGGER hj_cut ON sessions', 'hellojohn');
      // Retrying is safe: the address is not taken by a half-made account.
      const retry = await timedRequest(server.url, 'POST', '/v2/auth/register', {
        email,
        password: STRONG_PASSWORD,
      });
      assert.equal(retry.status, 201, JSON.stringify(retry.body));
    } finally {
      await pg.psql(
        'DROP TRIGGER IF EXISTS hj_cut ON sessions; DROP FUNCTION IF EXISTS hj_cut()',
        'hellojohn',
      );
    }
  });
});
