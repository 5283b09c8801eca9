// The OAuth 2.0 / OpenID Connect suite: client_credentials token issuance and the authorization-code
// flow (authorize with an existing session, then the code exchange) on HelloJohn and on
// node-oidc-provider (bench/peers/oidc-provider.ts), one server under load at a time.
//
// client_credentials runs through autocannon like every other scenario. A code flow is two dependent
// requests (the code from the authorize redirect goes into the token request), which autocannon cannot
// chain, so the flow scenario is a loop of its own: `connections` workers over keep-alive sockets, each
// running whole flows back to back; it reports flows/s and the latency of whole flows.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Suite, SuiteContext } from '../lib/context.js';
import { expectJson, field, mapLimit, requestJson } from '../lib/http.js';
import { drain, percentile, runLoad, type LoadRequest, type Measurement } from '../lib/load.js';
import { cpuSnapshots, cpuSpent, type CpuSnapshot } from '../lib/cpu.js';
import type { RunningServer } from '../lib/process.js';
import type { Outcome, Row, Target } from '../lib/report.js';
import { rowsWrittenBy } from '../lib/postgres.js';
import { freshDatabase, startHelloJohn, startPeer } from '../lib/servers.js';
import { idleMemoryNote } from '../lib/memory.js';

/** Seeding concurrency: HelloJohn's registration and login hash passwords, and the machine has 2 cores. */
const SEED_CONCURRENCY = 4;
const REQUEST_TIMEOUT_MS = 10_000;
const FAILURE_SAMPLES = 3;
/**
 * Signed-in users whose sessions the code flow uses, round-robin (at most BENCH_USERS). The peer's
 * default in-memory adapter is an LRU that keeps about 1,000 recently written entries; each flow writes
 * a code and touches ~4 entries of its session and grant, so with much more than 150 sessions in rotation
 * a session can be evicted between two of its uses and the flow fails. Both servers use the same count.
 */
const FLOW_SESSIONS = 50;

/** Everything a load run needs to act as the confidential client of one server. */
interface OAuthTarget {
  server: RunningServer;
  authorizePath: string;
  tokenPath: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** One Cookie header per signed-in user: an authorize request with it is answered with a code. */
  sessions: string[];
}

interface Results {
  clientCredentials: Outcome;
  codeFlow: Outcome;
  /** What the servers issued, read from one answer of each kind before the load (for the notes). */
  observed: string[];
  /** The endpoints used, from the server's discovery document (for the table's labels). */
  endpoints?: Discovery;
  /** HelloJohn: rows written per table by ROWS_SAMPLE flows one after another, after the load. */
  flowRows?: Record<string, number> | { error: string };
}

/** Code flows whose database rows are counted (one after another, the database otherwise idle). */
const ROWS_SAMPLE = 20;

/** ROWS_SAMPLE whole flows, one after another, with the first session. */
async function sampleFlows(target: OAuthTarget): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < ROWS_SAMPLE; i++) {
      await runFlow(agent, new URL(target.server.baseUrl), target, target.sessions[0] ?? '', {
        authorize: [],
        token: [],
      });
    }
  } finally {
    agent.destroy();
  }
}

function flowRowsNote(rows: Results['flowRows']): string {
  if (!rows) return 'Rows written per code flow: not counted.';
  if ('error' in rows) return `Rows written per code flow: not counted (${rows.error}).`;
  const total = Object.values(rows).reduce((a, b) => a + b, 0) / ROWS_SAMPLE;
  const tables = Object.entries(rows)
    .map(([table, n]) => `${table} ${(n / ROWS_SAMPLE).toFixed(2)}`)
    .join(', ');
  return `Rows written per HelloJohn code flow (authorize + exchange): ${total.toFixed(2)} (${tables || 'none'}; ${ROWS_SAMPLE} flows one after another after the load, row versions counted by xmin).`;
}

// ---------------------------------------------------------------------------------------------------
// Small helpers

function basicAuth(clientId: string, secret: string): string {
  // RFC 6749 §2.3.1: both parts form-urlencoded before base64.
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeQuery(target: OAuthTarget, challenge: string, state: string, nonce: string): string {
  return new URLSearchParams({
    response_type: 'code',
    client_id: target.clientId,
    redirect_uri: target.redirectUri,
    scope: 'openid',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    nonce,
  }).toString();
}

/** `{alg, typ}` of a JWT, without verifying it (the servers' own tests do that). */
function jwtHeader(token: unknown): string {
  if (typeof token !== 'string') return 'absent';
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
      alg?: string;
      typ?: string;
    };
    return `JWT ${header.alg ?? '?'}${header.typ ? ` (typ ${header.typ})` : ''}`;
  } catch {
    return 'opaque';
  }
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

function summary(m: Measurement, unit: string): string {
  const bad = m.non2xx + m.errors + m.timeouts;
  return `${m.rps.toFixed(1)} ${unit}/s, p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms, ${m.ok} ok${bad ? `, ${m.non2xx} failed, ${m.errors} errors, ${m.timeouts} timeouts` : ''}`;
}

// ---------------------------------------------------------------------------------------------------
// A minimal keep-alive HTTP client for the flow loop (no redirects followed, body read as text)

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

class TimeoutError extends Error {}

function send(
  agent: Agent,
  baseUrl: URL,
  method: 'GET' | 'POST',
  pathAndQuery: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        host: baseUrl.hostname,
        port: baseUrl.port,
        method,
        path: pathAndQuery,
        headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new TimeoutError(`${method} ${pathAndQuery}: no answer in time`)));
    req.on('error', reject);
    req.end(body);
  });
}

class FlowFailure extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** One code flow: authorize with the session cookie → 302/303 to the redirect URI with a code → token. */
async function runFlow(
  agent: Agent,
  base: URL,
  target: OAuthTarget,
  cookie: string,
  steps: { authorize: number[]; token: number[] },
): Promise<void> {
  const t0 = performance.now();
  const { verifier, challenge } = pkce();
  const state = randomBytes(12).toString('base64url');
  const nonce = randomBytes(12).toString('base64url');
  const authorize = await send(
    agent,
    base,
    'GET',
    `${target.authorizePath}?${authorizeQuery(target, challenge, state, nonce)}`,
    { cookie },
  );
  const location = authorize.headers.location;
  if ((authorize.status !== 302 && authorize.status !== 303) || !location) {
    throw new FlowFailure(`authorize→${authorize.status}`, authorize.body);
  }
  const redirect = new URL(location, base);
  const code = redirect.searchParams.get('code');
  if (!location.startsWith(target.redirectUri) || !code || redirect.searchParams.get('state') !== state) {
    throw new FlowFailure(`authorize→${authorize.status} without code`, location);
  }
  const t1 = performance.now();
  steps.authorize.push(t1 - t0);
  const token = await exchangeCode(agent, base, target, code, verifier);
  steps.token.push(performance.now() - t1);
  if (token.status !== 200) throw new FlowFailure(`token→${token.status}`, token.body);
  let parsed: { access_token?: unknown; id_token?: unknown } = {};
  try {
    parsed = JSON.parse(token.body) as typeof parsed;
  } catch {
    // checked below
  }
  if (typeof parsed.access_token !== 'string' || typeof parsed.id_token !== 'string') {
    throw new FlowFailure('token→200 without tokens', token.body);
  }
}

/** The code exchange (client_secret_basic, PKCE verifier), the same on both servers. */
function exchangeCode(agent: Agent, base: URL, target: OAuthTarget, code: string, verifier: string) {
  return send(
    agent,
    base,
    'POST',
    target.tokenPath,
    {
      authorization: basicAuth(target.clientId, target.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: target.redirectUri,
      code_verifier: verifier,
    }).toString(),
  );
}

/**
 * A flow run: whole flows, plus the p50/p99 of each of its two requests and, where /proc is there, CPU
 * per flow of the server, its PostgreSQL backends and this loop itself (which shares the cores).
 */
type FlowMeasurement = Measurement & { steps: string; generatorCpuSec?: number };

/**
 * `connections` workers, each running flows back to back for `warmupSec + durationSec`, sessions taken
 * round-robin. As in runLoad, the warm-up is the start of the same run: only flows that finish inside
 * the measured window count towards the rate and latencies (failures count wherever they happen). A
 * flow started before the deadline is finished; the rate is over the window's actual length.
 */
async function runFlows(
  target: OAuthTarget,
  connections: number,
  warmupSec: number,
  durationSec: number,
): Promise<FlowMeasurement> {
  const { server } = target;
  const cpuReader = server.database ? cpuSnapshots(server.pid, server.database) : undefined;
  let cpuAtStart: CpuSnapshot | undefined;
  let generatorAtStart: NodeJS.CpuUsage | undefined;
  const opening = setTimeout(() => {
    cpuAtStart = cpuReader?.();
    generatorAtStart = process.cpuUsage();
  }, warmupSec * 1000);
  const base = new URL(target.server.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const steps = { authorize: [] as number[], token: [] as number[] };
  const statusCodes: Record<string, number> = {};
  const failureSamples: string[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let nextSession = 0;
  const windowStart = performance.now() + warmupSec * 1000;
  const deadline = windowStart + durationSec * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const cookie = target.sessions[nextSession++ % target.sessions.length] ?? '';
      const t0 = performance.now();
      const flowSteps = { authorize: [] as number[], token: [] as number[] };
      const counted = () => {
        const done = performance.now();
        if (done < windowStart) return false;
        latencies.push(done - t0);
        steps.authorize.push(...flowSteps.authorize);
        steps.token.push(...flowSteps.token);
        return true;
      };
      try {
        await runFlow(agent, base, target, cookie, flowSteps);
        if (counted()) {
          ok += 1;
          statusCodes['200'] = (statusCodes['200'] ?? 0) + 1;
        }
      } catch (error) {
        counted();
        if (error instanceof FlowFailure) {
          non2xx += 1;
          statusCodes[error.key] = (statusCodes[error.key] ?? 0) + 1;
          if (failureSamples.length < FAILURE_SAMPLES) {
            failureSamples.push(`${error.key} ${error.message.slice(0, 200)}`);
          }
        } else if (error instanceof TimeoutError) {
          timeouts += 1;
        } else {
          errors += 1;
          if (failureSamples.length < FAILURE_SAMPLES) failureSamples.push(String(error).slice(0, 200));
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    clearTimeout(opening);
    agent.destroy();
  }
  const cpu = cpuReader && cpuAtStart ? cpuSpent(cpuAtStart, cpuReader()) : undefined;
  const generator = generatorAtStart ? process.cpuUsage(generatorAtStart) : undefined;
  const elapsedSec = Math.max(0, (performance.now() - windowStart) / 1000);
  latencies.sort((a, b) => a - b);
  const step = (name: string, values: number[]) => {
    values.sort((a, b) => a - b);
    return `${name} p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms`;
  };
  return {
    steps: `${step('authorize', steps.authorize)}; ${step('token', steps.token)}`,
    rps: elapsedSec > 0 ? ok / elapsedSec : 0,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    ok,
    non2xx,
    errors,
    timeouts,
    statusCodes,
    failureSamples,
    durationSec: elapsedSec,
    ...(cpu ? { cpu } : {}),
    ...(generator ? { generatorCpuSec: (generator.user + generator.system) / 1e6 } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------
// Measuring one server

function clientCredentialsRequest(target: OAuthTarget): LoadRequest {
  return {
    method: 'POST',
    path: target.tokenPath,
    headers: {
      authorization: basicAuth(target.clientId, target.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: 'grant_type=client_credentials',
  };
}

/** One client_credentials answer and one whole flow before the load, so a broken setup fails early. */
async function probe(target: OAuthTarget): Promise<string[]> {
  const base = new URL(target.server.baseUrl);
  const cc = clientCredentialsRequest(target);
  const response = await fetch(`${target.server.baseUrl}${cc.path}`, {
    method: 'POST',
    headers: cc.headers,
    body: cc.body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`client_credentials → ${response.status}: ${text.slice(0, 300)}`);
  }
  const ccBody = JSON.parse(text) as Record<string, unknown>;

  // One flow by hand, to read what the code exchange returns.
  const agent = new Agent({ keepAlive: false });
  try {
    const { verifier, challenge } = pkce();
    const state = randomBytes(12).toString('base64url');
    const authorize = await send(
      agent,
      base,
      'GET',
      `${target.authorizePath}?${authorizeQuery(target, challenge, state, 'probe')}`,
      { cookie: target.sessions[0] ?? '' },
    );
    const location = authorize.headers.location ?? '';
    const code = location ? new URL(location, base).searchParams.get('code') : null;
    if (!code) {
      throw new Error(
        `authorize with a session → ${authorize.status} ${location || authorize.body.slice(0, 300)}`,
      );
    }
    const token = await exchangeCode(agent, base, target, code, verifier);
    if (token.status !== 200) throw new Error(`code exchange → ${token.status}: ${token.body.slice(0, 300)}`);
    const tokens = JSON.parse(token.body) as Record<string, unknown>;
    return [
      `client_credentials access token ${jwtHeader(ccBody.access_token)}`,
      `code exchange: access token ${jwtHeader(tokens.access_token)}, ID token ${jwtHeader(tokens.id_token)}, ` +
        `${typeof tokens.refresh_token === 'string' ? 'a refresh token' : 'no refresh token'}, ` +
        `authorize answered ${authorize.status}`,
    ];
  } finally {
    agent.destroy();
  }
}

/** Warm-up (discarded) and the measured window in one run; a failure becomes the outcome instead of aborting. */
async function measure(
  context: SuiteContext,
  server: RunningServer,
  name: string,
  unit: string,
  run: (warmupSec: number, durationSec: number) => Promise<Measurement>,
): Promise<Outcome> {
  const { connections, durationSec, warmupSec } = context.config;
  try {
    context.log(
      `  ${server.name}: ${name}: ${warmupSec} s warm-up + ${durationSec} s × ${connections} connections`,
    );
    const m = await run(warmupSec, durationSec);
    context.log(`  ${server.name}: ${name}: ${summary(m, unit)}`);
    if ('steps' in m) context.log(`  ${server.name}: ${name}: ${String(m.steps)}; ${flowCpu(m)}`);
    return m;
  } catch (error) {
    context.log(`  ${server.name}: ${name}: failed: ${(error as Error).message}`);
    return { error: (error as Error).message };
  }
}

async function measureTarget(context: SuiteContext, target: OAuthTarget): Promise<Results> {
  const { connections } = context.config;
  const probed = await attempt(() => probe(target));
  if (failed(probed)) {
    context.log(`  ${target.server.name}: setup check failed: ${probed.error}`);
    return { clientCredentials: probed, codeFlow: probed, observed: [] };
  }
  context.log(`  ${target.server.name}: ${probed.join('; ')}`);
  const cc = clientCredentialsRequest(target);
  const clientCredentials = await measure(
    context,
    target.server,
    `client_credentials ${target.tokenPath}`,
    'req',
    async (warmupSec, durationSec) => {
      const m = await runLoad(cc, { baseUrl: target.server.baseUrl, connections, warmupSec, durationSec });
      await drain(target.server.baseUrl, cc);
      return m;
    },
  );
  const codeFlow = await measure(context, target.server, 'code flow', 'flows', (warmupSec, durationSec) =>
    runFlows(target, connections, warmupSec, durationSec),
  );
  const endpoints = { authorizePath: target.authorizePath, tokenPath: target.tokenPath };
  return { clientCredentials, codeFlow, observed: probed, endpoints };
}

interface Discovery {
  authorizePath: string;
  tokenPath: string;
}

const HELLOJOHN_PATHS: Discovery = { authorizePath: '/oauth2/authorize', tokenPath: '/oauth2/token' };
const PEER_PATHS: Discovery = { authorizePath: '/auth', tokenPath: '/token' };

/** Endpoint paths from the server's discovery document, or the given defaults if it has none. */
async function discover(baseUrl: string, defaults: Discovery): Promise<Discovery> {
  const r = await requestJson('GET', `${baseUrl}/.well-known/openid-configuration`);
  const doc = (r.status === 200 && typeof r.body === 'object' ? r.body : {}) as Record<string, unknown>;
  const pathOf = (value: unknown, fallback: string) =>
    typeof value === 'string' && value !== '' ? new URL(value, baseUrl).pathname : fallback;
  return {
    authorizePath: pathOf(doc.authorization_endpoint, defaults.authorizePath),
    tokenPath: pathOf(doc.token_endpoint, defaults.tokenPath),
  };
}

function makeUsers(count: number, tag: string): { email: string; password: string }[] {
  return Array.from({ length: count }, (_, i) => ({
    email: `bench-${tag}-${i}@example.com`,
    password: `Bench ${randomBytes(12).toString('base64url')} pass`,
  }));
}

// ---------------------------------------------------------------------------------------------------
// HelloJohn

/** `node bin/hellojohn.js <args>` against the server's database; its stdout parsed as JSON. */
function hellojohnCli(context: SuiteContext, env: Record<string, string>, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['bin/hellojohn.js', ...args],
      {
        cwd: context.config.root,
        env: { ...process.env, ...env },
        timeout: 60_000,
        maxBuffer: 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`hellojohn ${args.slice(0, 2).join(' ')} failed: ${(stderr || error.message).trim()}`),
          );
          return;
        }
        try {
          resolve(JSON.parse(stdout) as unknown);
        } catch {
          reject(
            new Error(`hellojohn ${args.slice(0, 2).join(' ')} printed no JSON: ${stdout.slice(0, 300)}`),
          );
        }
      },
    );
  });
}

async function measureHelloJohn(context: SuiteContext): Promise<Results> {
  // The CLI must see the server's database and data directory, so this suite chooses them and passes
  // them over startHelloJohn's own (which it still creates, empty and unused, and removes at the end).
  const setup = await attempt(async () => {
    const databaseUrl = await freshDatabase(context, 'hellojohn_oidc');
    const dataDir = await mkdtemp(path.join(tmpdir(), 'hellojohn-bench-oidc-'));
    context.resources.add(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
    const env = { DATABASE_URL: databaseUrl, DATA_DIR: dataDir, APP_ENV: 'dev', LOG_LEVEL: 'warn' };
    return { env, server: await startHelloJohn(context, env) };
  });
  if (failed(setup)) {
    context.log(`  hellojohn: ${setup.error}`);
    return { clientCredentials: setup, codeFlow: setup, observed: [] };
  }
  const { env, server } = setup;
  try {
    const target = await attempt(async (): Promise<OAuthTarget> => {
      const url = (p: string) => `${server.baseUrl}${p}`;
      const origin = { origin: server.baseUrl };
      const redirectUri = `${server.baseUrl}/cb`;
      const created = await hellojohnCli(context, env, [
        'clients',
        'create',
        '--tenant',
        'default',
        '--name',
        'bench',
        '--type',
        'confidential',
        '--redirect-uri',
        redirectUri,
        '--grant-types',
        'authorization_code,refresh_token,client_credentials',
        '--first-party',
        '--json',
      ]);
      const endpoints = await discover(server.baseUrl, HELLOJOHN_PATHS);
      const users = makeUsers(Math.min(context.config.users, FLOW_SESSIONS), 'hj-oidc');
      context.log(`  hellojohn: registering ${users.length} users and signing them in`);
      const sessions = await mapLimit(users, SEED_CONCURRENCY, async (user) => {
        await expectJson(201, 'POST', url('/v2/auth/register'), { ...user, name: 'Bench User' }, origin);
        const r = await expectJson(200, 'POST', url('/v2/session/login'), user, origin);
        if (r.cookies.length === 0) throw new Error('POST /v2/session/login set no cookie');
        return r.cookies.join('; ');
      });
      return {
        server,
        ...endpoints,
        clientId: field(created, 'client_id'),
        clientSecret: field(created, 'client_secret'),
        redirectUri,
        sessions,
      };
    });
    if (failed(target)) {
      context.log(`  hellojohn: seeding failed: ${target.error}`);
      return { clientCredentials: target, codeFlow: target, observed: [] };
    }
    const results = await measureTarget(context, target);
    const flowRows = await attempt(async () => {
      if (!server.database) throw new Error('no database to count in');
      return rowsWrittenBy(context.config.pg, server.database, () => sampleFlows(target));
    });
    return { ...results, flowRows };
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// node-oidc-provider

interface PeerClient {
  client_id: string;
  client_secret: string;
  redirect_uri: string;
  version: string;
}

/**
 * Signs one account in on the peer the way a browser would, once: authorize → its interaction page
 * (bench/peers/oidc-provider.ts logs the account in and saves a Grant) → back to authorize → redirect
 * with a code. Returns the session cookies, with which later authorize requests need no interaction.
 */
async function peerSession(server: RunningServer, client: PeerClient, accountId: string): Promise<string> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const { challenge } = pkce();
  let url = `${server.baseUrl}/auth?${new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: client.redirect_uri,
    scope: 'openid',
    state: 'seed',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString()}`;
  for (let hop = 0; hop < 5; hop++) {
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: cookieHeader() },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      const at = pair.indexOf('=');
      if (at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`peer sign-in: ${url} → ${response.status} without a redirect`);
    const next = new URL(location, server.baseUrl);
    if (next.href.startsWith(client.redirect_uri)) {
      if (!next.searchParams.get('code')) throw new Error(`peer sign-in ended without a code: ${location}`);
      // Only the session cookies matter from now on (the interaction ones are spent).
      const kept = [...jar].filter(([k]) => k === '_session' || k === '_session.sig');
      if (kept.length === 0) throw new Error('peer sign-in set no _session cookie');
      return kept.map(([k, v]) => `${k}=${v}`).join('; ');
    }
    if (next.pathname.startsWith('/interaction/')) next.searchParams.set('account', accountId);
    url = next.href;
  }
  throw new Error('peer sign-in: too many redirects');
}

async function measurePeer(context: SuiteContext): Promise<Results & { version?: string }> {
  const started = await attempt(() => startPeer(context, 'oidc-provider', 'oidc-provider.ts'));
  if (failed(started)) {
    context.log(`  oidc-provider: ${started.error}`);
    return { clientCredentials: started, codeFlow: started, observed: [] };
  }
  const server = started;
  try {
    const target = await attempt(async (): Promise<OAuthTarget & { version: string }> => {
      const r = await expectJson(200, 'GET', `${server.baseUrl}/bench/client`);
      const client = r.body as PeerClient;
      const endpoints = await discover(server.baseUrl, PEER_PATHS);
      const count = Math.min(context.config.users, FLOW_SESSIONS);
      const accounts = Array.from({ length: count }, (_, i) => `bench-op-${i}`);
      context.log(`  oidc-provider: signing in ${accounts.length} accounts`);
      const sessions = await mapLimit(accounts, SEED_CONCURRENCY, (account) =>
        peerSession(server, client, account),
      );
      return {
        server,
        ...endpoints,
        clientId: field(client, 'client_id'),
        clientSecret: field(client, 'client_secret'),
        redirectUri: field(client, 'redirect_uri'),
        sessions,
        version: client.version,
      };
    });
    if (failed(target)) {
      context.log(`  oidc-provider: seeding failed: ${target.error}`);
      return { clientCredentials: target, codeFlow: target, observed: [] };
    }
    return { ...(await measureTarget(context, target)), version: target.version };
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------------
// The suite

const CLIENT_CREDENTIALS_TARGET: Target = { kind: 'ratio', min: 2.5 };
/** Issue #20: the flow every relying party runs, at least 1.5× the peer with every step still durable. */
const CODE_FLOW_TARGET: Target = { kind: 'ratio', min: 1.5 };

/** CPU per whole flow in the measured window: server process, its PostgreSQL backends, the flow loop. */
function flowCpu(m: Measurement & { generatorCpuSec?: number }): string {
  if (!m.cpu || m.requests === 0) return 'CPU per flow not measured (needs /proc)';
  const ms = (sec: number) => ((sec * 1000) / m.requests).toFixed(2);
  return (
    `CPU per flow ${ms(m.cpu.server)} ms in the server + ${ms(m.cpu.postgres)} ms in PostgreSQL` +
    (m.generatorCpuSec === undefined ? '' : ` + ${ms(m.generatorCpuSec)} ms in the flow loop`)
  );
}

function stepsLine(ours: Outcome, peer: Outcome): string {
  const of = (o: Outcome) => (!failed(o) && 'steps' in o ? `${String(o.steps)}; ${flowCpu(o)}` : 'n/a');
  return `Code flow, each request on its own (latency over the measured flows) and the CPU of a whole flow (/proc: the server process with all its threads, the PostgreSQL backends of its database, and the flow loop, which shares the cores): HelloJohn ${of(ours)}; oidc-provider ${of(peer)}.`;
}

function p99Line(ours: Outcome, peer: Outcome): string {
  if (failed(ours) || failed(peer)) {
    return 'client_credentials target, second half (p99 ≤ the peer’s): not judged, a side did not run.';
  }
  const met = ours.p99 <= peer.p99;
  return (
    `client_credentials target, second half (p99 ≤ the peer’s; the Met? column judges the rate only): ` +
    `HelloJohn p99 ${ours.p99} ms vs oidc-provider ${peer.p99} ms: ${met ? 'met' : '**not met**'}.`
  );
}

export const oidcSuite: Suite = {
  id: 'oidc',
  title: 'OAuth 2.0 / OpenID Connect: HelloJohn vs node-oidc-provider',
  async run(context) {
    context.log('oidc: idle memory of each server, alone');
    const idleMemory = await idleMemoryNote(context);
    context.log('oidc: HelloJohn');
    const ours = await measureHelloJohn(context);
    context.log('oidc: node-oidc-provider (peer)');
    const peer = await measurePeer(context);

    const ourPaths = ours.endpoints ?? HELLOJOHN_PATHS;
    const peerPaths = peer.endpoints ?? PEER_PATHS;
    const flow = (p: Discovery) => `GET ${p.authorizePath} → POST ${p.tokenPath}`;
    const rows: Row[] = [
      {
        scenario: 'client_credentials token',
        ours: { label: `POST ${ourPaths.tokenPath}`, outcome: ours.clientCredentials },
        peer: { label: `POST ${peerPaths.tokenPath}`, outcome: peer.clientCredentials },
        target: CLIENT_CREDENTIALS_TARGET,
      },
      {
        scenario: 'Code flow, flows/s (authorize with a session + code exchange)',
        ours: { label: flow(ourPaths), outcome: ours.codeFlow },
        peer: { label: flow(peerPaths), outcome: peer.codeFlow },
        target: CODE_FLOW_TARGET,
      },
    ];
    const { dbPool, connections } = context.config;
    const users = Math.min(context.config.users, FLOW_SESSIONS);
    return {
      id: 'oidc',
      title: this.title,
      ourName: 'HelloJohn',
      peerName: 'oidc-provider',
      rows,
      notes: [
        p99Line(ours.clientCredentials, peer.clientCredentials),
        `Code flow: one flow = \`GET\` authorize with the user's session cookie (answered with a redirect carrying the code: first-party client on HelloJohn, an existing Grant on the peer, so no login or consent page) + the code exchange (\`client_secret_basic\`, PKCE S256 verifier). The row counts whole flows per second, and p50/p99 are the latencies of whole flows (two requests). It runs in a loop of its own (${connections} workers on keep-alive sockets, node:http), not autocannon, because the second request needs the code from the first; both servers go through the same loop. Target (issue #20): ≥ 1.5× the peer.`,
        `Peer: node-oidc-provider ${peer.version ?? '(version unknown)'} (bench/peers/oidc-provider.ts) with a confidential client (\`client_secret_basic\`, PKCE required), JWT access tokens signed EdDSA (Ed25519) for one resource server given as the default resource (resource indicators), ID tokens RS256 (HelloJohn's default), no development interactions (each user was signed in once through a bench-only interaction handler that saves a Grant; later authorize requests reuse the session cookie), and a refresh token with every code exchange as on HelloJohn (\`issueRefreshToken\` when the client may use the refresh_token grant; its default needs \`offline_access\`, and the flows ask for \`openid\` only).`,
        stepsLine(ours.codeFlow, peer.codeFlow),
        flowRowsNote(ours.flowRows),
        idleMemory,
        `Fairness: **the peer keeps all its state in memory** (its default in-memory adapter, an LRU: sessions, grants, codes), while HelloJohn writes to PostgreSQL: nothing at authorize (the code is sealed, not stored), and at the exchange one committed transaction (the OAuth session, its refresh token and the audit event, the user read) on the same 2 cores; the peer does no I/O at all. The peer's client is static configuration, HelloJohn's a row of its clients table. A production oidc-provider needs a persistent adapter (Redis or a database), which would add that cost to the peer.`,
        `What each side issued (read from one answer before the load): HelloJohn ${ours.observed.join('; ') || 'n/a'}; oidc-provider ${peer.observed.join('; ') || 'n/a'}.`,
        `HelloJohn ran on a fresh database with a pool of ${dbPool} connections, the client created with \`hellojohn clients create --type confidential --first-party\`, ${users} users registered and signed in (\`POST /v2/session/login\`); the peer with ${users} accounts signed in; the flows use these sessions round-robin (at most ${FLOW_SESSIONS}: the peer's in-memory LRU, about 1,000 entries, would evict sessions from a longer rotation). No scope is sent with client_credentials on either side.`,
        'req/s (flows/s for the code flow) counts successful answers in the measured window only; p50/p99 are over all answers in the window. A run with failed requests would be marked ⚠ and explained under the table.',
      ],
    };
  },
};
