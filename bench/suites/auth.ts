// First-party auth: password login, refresh, GET /v2/me (bearer) and GET /v2/session (cookie) on
// HelloJohn, against better-auth's sign-in and get-session on the same PostgreSQL server.
// One server at a time: HelloJohn is started, seeded, measured and stopped before the peer starts.
import { randomBytes } from 'node:crypto';
import { hashPassword as peerHashPassword, verifyPassword as peerVerifyPassword } from 'better-auth/crypto';
import { loadConfig } from '../../src/config.js';
import { PasswordHasher } from '../../src/crypto/passwords.js';
import type { SuiteContext, Suite } from '../lib/context.js';
import { expectJson, field, mapLimit } from '../lib/http.js';
import { rowsWrittenBy } from '../lib/postgres.js';
import { cpuSnapshots } from '../lib/cpu.js';
import { drain, runLoad, type LoadRequest, type Measurement } from '../lib/load.js';
import { cpuPerAnswerMs, type Outcome, type Row, type Target } from '../lib/report.js';
import { startHelloJohn, startPeer } from '../lib/servers.js';
import { TOTP_USERS, TOTP_WARMUP_USERS, enrolTotpUsers, measureTotpLogin } from './mfa-login.js';
import type { RunningServer } from '../lib/process.js';

interface User {
  email: string;
  password: string;
}

/** Seeding concurrency: password hashing is the cost, and the machine has 2 cores. */
const SEED_CONCURRENCY = 4;

function makeUsers(count: number, tag: string): User[] {
  return Array.from({ length: count }, (_, i) => ({
    email: `bench-${tag}-${i}@example.com`,
    password: `Bench ${randomBytes(12).toString('base64url')} pass`,
  }));
}

/** Round-robin over a fixed list, shared by all connections of a run. */
function cycle<T>(items: readonly T[]): () => T {
  if (items.length === 0) throw new Error('nothing to cycle over');
  let i = 0;
  return () => items[i++ % items.length] as T;
}

function jsonBody(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * Refresh with rotation: each refresh token works once. A pool shared by all connections holds the
 * valid ones: a request takes one, its answer puts the rotated one back. Seeded with more tokens than
 * connections, the pool never runs dry; a failed refresh loses its token, and if the pool empties the
 * next request goes out with an invalid token, so a failure shows up as non-2xx instead of vanishing.
 * (autocannon resets a connection's context after every request of a one-request list, so the chain
 * cannot live in the per-connection context.)
 */
export function refreshRequest(path: string, seedTokens: readonly string[]): LoadRequest {
  const pool = [...seedTokens];
  return {
    method: 'POST',
    path,
    body: jsonBody({ refresh_token: 'placeholder' }),
    next: () => ({ body: jsonBody({ refresh_token: pool.shift() ?? 'pool-exhausted' }) }),
    onResponse: (status, body) => {
      if (status !== 200) return;
      try {
        const token = (JSON.parse(body) as { refresh_token?: unknown }).refresh_token;
        if (typeof token === 'string') pool.push(token);
      } catch {
        // not JSON: the token is lost, and the run shows it
      }
    },
  };
}

/** Warm-up (discarded) and the measured window in one load run (bench/lib/load.ts). */
async function measure(
  context: SuiteContext,
  server: RunningServer,
  name: string,
  prepare: () => Promise<LoadRequest>,
): Promise<Outcome> {
  const { connections, durationSec, warmupSec } = context.config;
  try {
    // Every request carries the Origin a browser on the server's own site would send (better-auth
    // refuses cookie and sign-in requests without one; HelloJohn is treated the same).
    const prepared = await prepare();
    const request = { ...prepared, headers: { origin: server.baseUrl, ...prepared.headers } };
    context.log(
      `  ${server.name}: ${name}: ${warmupSec} s warm-up + ${durationSec} s × ${connections} connections`,
    );
    const cpu = server.database ? cpuSnapshots(server.pid, server.database) : undefined;
    const m = await runLoad(request, {
      baseUrl: server.baseUrl,
      connections,
      warmupSec,
      durationSec,
      ...(cpu ? { cpu } : {}),
    });
    await drain(server.baseUrl, request);
    context.log(`  ${server.name}: ${name}: ${summary(m)}`);
    return m;
  } catch (error) {
    context.log(`  ${server.name}: ${name}: failed: ${(error as Error).message}`);
    return { error: (error as Error).message };
  }
}

function summary(m: Measurement): string {
  const bad = m.non2xx + m.errors;
  const cpu = cpuPerAnswer(m);
  return (
    `${m.rps.toFixed(1)} req/s, p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms, ${m.ok} ok` +
    (bad ? `, ${m.non2xx} non-2xx, ${m.errors} errors` : '') +
    (cpu ? `, CPU per answer ${cpu.server.toFixed(2)} ms + ${cpu.postgres.toFixed(2)} ms in PostgreSQL` : '')
  );
}

/** Milliseconds of CPU per answer in the measured window (server process, PostgreSQL backends). */
function cpuPerAnswer(m: Measurement): { server: number; postgres: number } | undefined {
  if (!m.cpu || m.requests === 0) return undefined;
  return { server: (m.cpu.server * 1000) / m.requests, postgres: (m.cpu.postgres * 1000) / m.requests };
}

/**
 * Both logins keep both cores busy, so what one login costs in CPU, all processes together, decides
 * how many logins a second each server can answer: the ratio of the costs is the ratio the machine allows.
 */
function loginCpuNote(ours: Outcome, peer: Outcome): string {
  const a = 'error' in ours ? undefined : cpuPerAnswer(ours);
  const b = 'error' in peer ? undefined : cpuPerAnswer(peer);
  if (!a || !b) return 'CPU per login: not measured (needs /proc).';
  const total = (c: { server: number; postgres: number }) => c.server + c.postgres;
  return (
    `CPU per login in the measured window (the server process with all its threads, plus the PostgreSQL backends of its database; /proc): ` +
    `HelloJohn ${a.server.toFixed(1)} ms + ${a.postgres.toFixed(1)} ms, better-auth ${b.server.toFixed(1)} ms + ${b.postgres.toFixed(1)} ms. ` +
    `A better-auth login costs ${(total(b) / total(a)).toFixed(2)}× the CPU of a HelloJohn login: with both cores saturated, that is the login ratio the machine allows.`
  );
}

/** Runs fn, turning a thrown error into a failed outcome for every scenario that depended on it. */
async function attempt<T>(fn: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await fn();
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function failed(value: unknown): value is { error: string } {
  return typeof value === 'object' && value !== null && 'error' in value;
}

interface OurResults {
  login: Outcome;
  refresh: Outcome;
  me: Outcome;
  session: Outcome;
  totpPasswordStep: Outcome;
  totpSecondStep: Outcome;
  /** Rows written by ROWS_SAMPLE logins one after another, per table. */
  loginRows: Record<string, number> | { error: string };
}

/** Logins whose rows are counted, one after another after the load run (the database otherwise idle). */
const ROWS_SAMPLE = 20;

const fail = (error: { error: string }): OurResults => ({
  login: error,
  refresh: error,
  me: error,
  session: error,
  totpPasswordStep: error,
  totpSecondStep: error,
  loginRows: error,
});

async function measureHelloJohn(context: SuiteContext): Promise<OurResults> {
  const started = await attempt(() => startHelloJohn(context));
  if (failed(started)) {
    context.log(`  hellojohn: ${started.error}`);
    return fail(started);
  }
  const server = started;
  try {
    const url = (p: string) => `${server.baseUrl}${p}`;
    const origin = { origin: server.baseUrl };
    const users = makeUsers(context.config.users, 'hj');
    context.log(`  hellojohn: registering ${users.length} users`);
    const accessTokens = await attempt(() =>
      mapLimit(users, SEED_CONCURRENCY, async (user) => {
        const r = await expectJson(
          201,
          'POST',
          url('/v2/auth/register'),
          { ...user, name: 'Bench User' },
          origin,
        );
        return field(r.body, 'access_token');
      }),
    );
    if (failed(accessTokens)) {
      context.log(`  hellojohn: seeding failed: ${accessTokens.error}`);
      return fail(accessTokens);
    }

    const me = await measure(context, server, 'GET /v2/me', async () => {
      const next = cycle(accessTokens);
      return {
        method: 'GET',
        path: '/v2/me',
        next: () => ({ headers: { authorization: `Bearer ${next()}` } }),
      };
    });

    const session = await measure(context, server, 'GET /v2/session', async () => {
      const cookies = await mapLimit(users, SEED_CONCURRENCY, async (user) => {
        const r = await expectJson(200, 'POST', url('/v2/session/login'), user, origin);
        if (r.cookies.length === 0) throw new Error('POST /v2/session/login set no cookie');
        return r.cookies.join('; ');
      });
      const next = cycle(cookies);
      return { method: 'GET', path: '/v2/session', next: () => ({ headers: { cookie: next() } }) };
    });

    const refresh = await measure(context, server, 'POST /v2/auth/refresh', async () => {
      const seedUser = cycle(users);
      const seeds = Array.from({ length: context.config.connections * 2 }, () => seedUser());
      const tokens = await mapLimit(seeds, SEED_CONCURRENCY, async (user) => {
        const r = await expectJson(200, 'POST', url('/v2/auth/login'), user, origin);
        return field(r.body, 'refresh_token');
      });
      return refreshRequest('/v2/auth/refresh', tokens);
    });

    const login = await measure(context, server, 'POST /v2/auth/login', async () => {
      const next = cycle(users.map((u) => jsonBody(u)));
      return { method: 'POST', path: '/v2/auth/login', body: next(), next: () => ({ body: next() }) };
    });
    const sample = users.slice(0, ROWS_SAMPLE);
    const loginRows = await attempt(async () => {
      if (!server.database) throw new Error('no database to count in');
      return rowsWrittenBy(context.config.pg, server.database, () =>
        mapLimit(sample, 1, (user) => expectJson(200, 'POST', url('/v2/auth/login'), user, origin)),
      );
    });

    const enrolling = TOTP_USERS + TOTP_WARMUP_USERS;
    context.log(`  hellojohn: registering and enrolling ${enrolling} users with TOTP`);
    const totp = await attempt(async () =>
      measureTotpLogin(
        context,
        server,
        await enrolTotpUsers(server, enrolling, SEED_CONCURRENCY),
        TOTP_WARMUP_USERS,
      ),
    );
    if (failed(totp)) context.log(`  hellojohn: TOTP login failed: ${totp.error}`);
    const totpPasswordStep = failed(totp) ? totp : totp.passwordStep;
    const totpSecondStep = failed(totp) ? totp : totp.secondStep;
    return { login, refresh, me, session, totpPasswordStep, totpSecondStep, loginRows };
  } finally {
    await server.stop();
  }
}

interface PeerResults {
  signIn: Outcome;
  getSession: Outcome;
}

async function measureBetterAuth(context: SuiteContext): Promise<PeerResults> {
  const started = await attempt(() => startPeer(context, 'better-auth', 'better-auth.ts'));
  if (failed(started)) {
    context.log(`  better-auth: ${started.error}`);
    return { signIn: started, getSession: started };
  }
  const server = started;
  try {
    const url = (p: string) => `${server.baseUrl}${p}`;
    const origin = { origin: server.baseUrl };
    const users = makeUsers(context.config.users, 'ba');
    context.log(`  better-auth: signing up ${users.length} users`);
    const seeded = await attempt(() =>
      mapLimit(users, SEED_CONCURRENCY, async (user) => {
        await expectJson(
          200,
          'POST',
          url('/api/auth/sign-up/email'),
          { ...user, name: 'Bench User' },
          origin,
        );
      }),
    );
    if (failed(seeded)) {
      context.log(`  better-auth: seeding failed: ${seeded.error}`);
      return { signIn: seeded, getSession: seeded };
    }

    const getSession = await measure(context, server, 'GET /api/auth/get-session', async () => {
      const cookies = await mapLimit(users, SEED_CONCURRENCY, async (user) => {
        const r = await expectJson(200, 'POST', url('/api/auth/sign-in/email'), user, origin);
        if (r.cookies.length === 0) throw new Error('sign-in set no cookie');
        return r.cookies.join('; ');
      });
      // get-session answers 200 with `null` for an unknown session: check one before trusting 2xx.
      const check = await expectJson(200, 'GET', url('/api/auth/get-session'), undefined, {
        ...origin,
        cookie: cookies[0] ?? '',
      });
      field((check.body as { session?: unknown } | null)?.session, 'id');
      const next = cycle(cookies);
      return { method: 'GET', path: '/api/auth/get-session', next: () => ({ headers: { cookie: next() } }) };
    });

    const signIn = await measure(context, server, 'POST /api/auth/sign-in/email', async () => {
      const next = cycle(users.map((u) => jsonBody(u)));
      return {
        method: 'POST',
        path: '/api/auth/sign-in/email',
        body: next(),
        next: () => ({ body: next() }),
      };
    });

    return { signIn, getSession };
  } finally {
    await server.stop();
  }
}

interface VerificationCost {
  wallMs: number;
  cpuMs: number;
}

const PROBE_VERIFICATIONS = 20;

/** Mean wall and CPU time (all threads of this process) of `count` calls made one after another. */
async function costOf(count: number, call: () => Promise<unknown>): Promise<VerificationCost> {
  await call(); // first call: thread start-up, lazy loading
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < count; i++) await call();
  const wallMs = (performance.now() - started) / count;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 / count };
}

/**
 * One password verification on its own, one at a time, before any server starts: HelloJohn's
 * PasswordHasher at its default parameters, and better-auth's own verifyPassword (its default scrypt).
 * Both logins are bound by this cost, so its ratio is about the login ratio the cores allow. It moves
 * with the machine (memory bandwidth, the cost of a page fault: each call maps fresh memory, 19 MiB
 * for Argon2id, 32 MiB for scrypt), which is what moves the login ratio between runs.
 */
async function verificationCosts(): Promise<{ ours: VerificationCost; peer: VerificationCost }> {
  const password = `Probe ${randomBytes(12).toString('base64url')}`;
  const hasher = new PasswordHasher(loadConfig({}).passwords.argon2, 1);
  const ourHash = await hasher.hash(password);
  const peerHash = await peerHashPassword(password);
  const ours = await costOf(PROBE_VERIFICATIONS, () => hasher.verify(ourHash, password));
  const peer = await costOf(PROBE_VERIFICATIONS, () => peerVerifyPassword({ hash: peerHash, password }));
  return { ours, peer };
}

function costNote(costs: { ours: VerificationCost; peer: VerificationCost } | { error: string }): string {
  if ('error' in costs) return `One password verification alone: not measured (${costs.error}).`;
  const { ours, peer } = costs;
  return (
    `One password verification alone (${PROBE_VERIFICATIONS} one after another, in the load generator's process before the servers started): ` +
    `HelloJohn Argon2id ${ours.wallMs.toFixed(1)} ms (${ours.cpuMs.toFixed(1)} ms CPU), ` +
    `better-auth scrypt ${peer.wallMs.toFixed(1)} ms (${peer.cpuMs.toFixed(1)} ms CPU): ` +
    `${(peer.cpuMs / ours.cpuMs).toFixed(2)}× the CPU per verification.`
  );
}

/** The TOTP login's two steps against the password login, in CPU per answer. */
function totpNote(ours: OurResults): string {
  const login = cpuPerAnswerMs(ours.login);
  const first = cpuPerAnswerMs(ours.totpPasswordStep);
  const second = cpuPerAnswerMs(ours.totpSecondStep);
  if (login === undefined || first === undefined || second === undefined)
    return 'TOTP login: CPU not measured.';
  return (
    `TOTP login (${TOTP_USERS} users enrolled with an authenticator app, each signing in once: a code is accepted once per time step, so these rows are a fixed number of flows at full concurrency, not a timed window, measured after ${TOTP_WARMUP_USERS} other users signed in with both steps as a warm-up): ` +
    `step 1 (password, answering mfa_required) ${first.toFixed(2)} ms CPU, step 2 (the code: challenge opened, code checked against the sealed seed, time step claimed, session and tokens issued) ${second.toFixed(2)} ms, ` +
    `against ${login.toFixed(2)} ms for a password login answering tokens: the second step costs ${Math.round((second / login) * 100)}% of a password login.`
  );
}

/** Target: a login writes at most this many rows (session, refresh token, audit event). */
const MAX_ROWS_PER_LOGIN = 3;

function rowsNote(rows: OurResults['loginRows']): string {
  if ('error' in rows) return `Rows written per login: not counted (${String(rows.error)}).`;
  const total = Object.values(rows).reduce((a, b) => a + b, 0) / ROWS_SAMPLE;
  const tables = Object.entries(rows)
    .map(([table, n]) => `${table} ${(n / ROWS_SAMPLE).toFixed(2)}`)
    .join(', ');
  return (
    `Rows written per login: ${total.toFixed(2)} (${tables}; ${ROWS_SAMPLE} logins one after another after the load run, row versions counted by xmin): ` +
    `target ≤ ${MAX_ROWS_PER_LOGIN}, ${total <= MAX_ROWS_PER_LOGIN ? 'met' : '**not met**'}.`
  );
}

const LOGIN_TARGET: Target = { kind: 'ratio', min: 8 };
const LOOKUP_TARGET: Target = { kind: 'ratio', min: 10 };
const REFRESH_TARGET: Target = { kind: 'absolute', minRps: 1500, maxP99Ms: 50 };

export const authSuite: Suite = {
  id: 'auth',
  title: 'First-party auth: HelloJohn vs better-auth',
  async run(context) {
    context.log('auth: one password verification alone');
    const costs = await attempt(verificationCosts);
    context.log(`  ${costNote(costs)}`);
    context.log('auth: HelloJohn');
    const ours = await measureHelloJohn(context);
    context.log('auth: better-auth (peer)');
    const peer = await measureBetterAuth(context);

    const getSession = { label: 'GET /api/auth/get-session', outcome: peer.getSession };
    const passwordLogin = { scenario: 'Password login', outcome: ours.login };
    const rows: Row[] = [
      {
        scenario: 'Password login',
        ours: { label: 'POST /v2/auth/login', outcome: ours.login },
        peer: { label: 'POST /api/auth/sign-in/email', outcome: peer.signIn },
        target: LOGIN_TARGET,
      },
      {
        scenario: 'Password login, CPU',
        ours: { label: 'POST /v2/auth/login', outcome: ours.login },
        target: {
          kind: 'cpuCost',
          maxShare: 1.25,
          of: { name: 'one Argon2id verification', ms: 'error' in costs ? undefined : costs.ours.cpuMs },
        },
      },
      {
        scenario: 'TOTP login, step 1',
        ours: { label: 'POST /v2/auth/login → mfa_required', outcome: ours.totpPasswordStep },
        target: { kind: 'cpu', maxShare: 1.1, of: passwordLogin },
      },
      {
        scenario: 'TOTP login, step 2',
        ours: { label: 'POST /v2/mfa/challenge', outcome: ours.totpSecondStep },
        target: { kind: 'cpu', maxShare: 0.2, of: passwordLogin },
      },
      {
        scenario: 'Refresh (rotation)',
        ours: { label: 'POST /v2/auth/refresh', outcome: ours.refresh },
        target: REFRESH_TARGET,
      },
      {
        scenario: 'Me (bearer)',
        ours: { label: 'GET /v2/me', outcome: ours.me },
        peer: getSession,
        target: LOOKUP_TARGET,
      },
      {
        scenario: 'Session (cookie)',
        ours: { label: 'GET /v2/session', outcome: ours.session },
        peer: getSession,
        target: LOOKUP_TARGET,
      },
    ];
    const { users, dbPool } = context.config;
    return {
      id: 'auth',
      title: this.title,
      ourName: 'HelloJohn',
      peerName: 'better-auth',
      rows,
      notes: [
        `Password hashing: HelloJohn Argon2id with the OWASP parameters (19456 KiB, t=2, p=1; its defaults); better-auth its default scrypt (node:crypto, N=16384, r=16, p=1).`,
        costNote(costs),
        loginCpuNote(ours.login, peer.signIn),
        rowsNote(ours.loginRows),
        totpNote(ours),
        `Each server ran alone on its own fresh database on the same PostgreSQL server, with a pool of ${dbPool} connections, ${users} seeded users, requests spread round-robin over them (login bodies, bearer tokens, session cookies).`,
        `HelloJohn ran with rate limits and lockout raised (RATE_LIMIT_PER_IP, RATE_LIMIT_FAILURES_PER_IP, RATE_LIMIT_PER_CLIENT, RATE_LIMIT_PER_ACCOUNT, LOGIN_MAX_FAILURES); better-auth with \`rateLimit.enabled: false\`, \`requireEmailVerification: false\` and no session cookie cache (its default: every get-session reads the database).`,
        'Refresh: every answer carries a new refresh token and the old one is spent; each request uses a token returned by an earlier answer. better-auth has no refresh token, so refresh has an absolute target only.',
        'Both lookup rows are compared with the same better-auth get-session run.',
        'req/s counts successful (2xx) answers in the measured window only; p50/p99 are over all answers in the window. A run with failed requests would be marked ⚠ and explained under the table.',
      ],
    };
  },
};
