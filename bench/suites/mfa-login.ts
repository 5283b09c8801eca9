// Login with a TOTP second step, both requests, next to the password login: users enrolled with an
// authenticator app sign in (POST /v2/auth/login answers mfa_required), then complete the challenge
// (POST /v2/mfa/challenge with the current code). The two steps are measured as two phases over the same
// users, each with the CPU of the server and its PostgreSQL backends, so the second step's cost can be
// set against a password login's. A TOTP code is accepted once per user and time step, so every user
// signs in once per run: the phases are a fixed number of flows, not a timed window. As the timed rows
// have their warm-up, other users complete both steps first, unmeasured.
import { Secret, TOTP } from 'otpauth';
import { cpuSnapshots, cpuSpent } from '../lib/cpu.js';
import type { SuiteContext } from '../lib/context.js';
import { expectJson, field, mapLimit, requestJson } from '../lib/http.js';
import { percentile, type Measurement } from '../lib/load.js';
import type { RunningServer } from '../lib/process.js';

/** Users enrolled with TOTP: each completes one flow in the measured phases. */
export const TOTP_USERS = 600;
/** More users enrolled to warm the server up with both steps before the measured phases. */
export const TOTP_WARMUP_USERS = 200;

interface EnrolledUser {
  email: string;
  password: string;
  totp: TOTP;
  /** The time step their enrolment used: a later step's code is needed (a code is accepted once). */
  enrolledStep: number;
}

/** The code of the first time step this user has not used yet (the window accepts the next one). */
function nextCode(user: EnrolledUser): string {
  const period = user.totp.period;
  const now = Date.now();
  const step = Math.max(Math.floor(now / 1000 / period), user.enrolledStep + 1);
  return user.totp.generate({ timestamp: step * period * 1000 });
}

/** Registers and enrols `count` users: register (tokens), begin TOTP enrolment, confirm with a code. */
export async function enrolTotpUsers(
  server: RunningServer,
  count: number,
  concurrency: number,
): Promise<EnrolledUser[]> {
  const url = (p: string) => `${server.baseUrl}${p}`;
  const origin = { origin: server.baseUrl };
  const users = Array.from({ length: count }, (_, i) => ({
    email: `bench-totp-${i}@example.com`,
    password: `Bench TOTP ${i} pass-${Math.random().toString(36).slice(2)}`,
  }));
  return mapLimit(users, concurrency, async (user) => {
    const registered = await expectJson(201, 'POST', url('/v2/auth/register'), user, origin);
    const bearer = { ...origin, authorization: `Bearer ${field(registered.body, 'access_token')}` };
    const enrolment = await expectJson(200, 'POST', url('/v2/auth/mfa/totp/enroll'), {}, bearer);
    const body = enrolment.body as { secret: string; digits?: number; period?: number };
    const totp = new TOTP({
      secret: Secret.fromBase32(field(body, 'secret')),
      digits: body.digits ?? 6,
      period: body.period ?? 30,
    });
    const enrolledStep = Math.floor(Date.now() / 1000 / totp.period);
    await expectJson(200, 'POST', url('/v2/auth/mfa/totp/verify'), { code: totp.generate() }, bearer);
    return { ...user, totp, enrolledStep };
  });
}

/** One phase: `calls` made with `connections` in flight, with latencies and the CPU spent meanwhile. */
async function phase<T>(
  server: RunningServer,
  items: readonly T[],
  connections: number,
  call: (item: T) => Promise<{ ok: boolean; sample?: string }>,
): Promise<Measurement> {
  const snapshot = server.database ? cpuSnapshots(server.pid, server.database) : undefined;
  const before = snapshot?.();
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const failureSamples: string[] = [];
  let ok = 0;
  const started = performance.now();
  await mapLimit(items, connections, async (item) => {
    const t0 = performance.now();
    const result = await call(item);
    latencies.push(performance.now() - t0);
    if (result.ok) ok++;
    else if (failureSamples.length < 3 && result.sample) failureSamples.push(result.sample);
  });
  const durationSec = (performance.now() - started) / 1000;
  const after = snapshot?.();
  latencies.sort((a, b) => a - b);
  statusCodes[ok === items.length ? '2xx' : 'mixed'] = items.length;
  return {
    rps: ok / durationSec,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: items.length,
    ok,
    non2xx: items.length - ok,
    errors: 0,
    timeouts: 0,
    statusCodes,
    failureSamples,
    durationSec,
    ...(before && after ? { cpu: cpuSpent(before, after) } : {}),
  };
}

/**
 * Step 1 (password, answering mfa_required) and step 2 (the TOTP code): the first `warmup` users warm
 * the server up with both steps, then each phase is measured over the others.
 */
export async function measureTotpLogin(
  context: SuiteContext,
  server: RunningServer,
  enrolled: readonly EnrolledUser[],
  warmup: number,
): Promise<{ passwordStep: Measurement; secondStep: Measurement }> {
  const url = (p: string) => `${server.baseUrl}${p}`;
  const origin = { origin: server.baseUrl };
  const { connections } = context.config;
  const tokens = new Map<EnrolledUser, string>();
  const step1 = async (user: EnrolledUser) => {
    const r = await requestJson(
      'POST',
      url('/v2/auth/login'),
      { email: user.email, password: user.password },
      origin,
    );
    const body = r.body as { mfa_required?: boolean; mfa_token?: string };
    if (r.status !== 200 || body.mfa_required !== true || !body.mfa_token)
      return { ok: false, sample: `${r.status} ${JSON.stringify(r.body).slice(0, 200)}` };
    tokens.set(user, body.mfa_token);
    return { ok: true };
  };
  const step2 = async (user: EnrolledUser) => {
    const mfaToken = tokens.get(user);
    if (!mfaToken) return { ok: false, sample: 'no mfa_token from step 1' };
    const r = await requestJson(
      'POST',
      url('/v2/mfa/challenge'),
      { mfa_token: mfaToken, factor: 'totp', code: nextCode(user) },
      origin,
    );
    const ok = r.status === 200 && typeof (r.body as { access_token?: unknown }).access_token === 'string';
    return ok ? { ok } : { ok, sample: `${r.status} ${JSON.stringify(r.body).slice(0, 200)}` };
  };
  const warm = enrolled.slice(0, warmup);
  const users = enrolled.slice(warmup);
  context.log(`  hellojohn: TOTP login, warm-up: ${warm.length} logins with both steps`);
  await mapLimit(warm, connections, async (user) => {
    const first = await step1(user);
    const second = first.ok ? await step2(user) : first;
    if (!second.ok) throw new Error(`TOTP login warm-up failed: ${second.sample ?? ''}`);
  });
  context.log(`  hellojohn: TOTP login, step 1: ${users.length} logins × ${connections} connections`);
  const passwordStep = await phase(server, users, connections, step1);
  context.log(`  hellojohn: TOTP login, step 2: ${users.length} challenges × ${connections} connections`);
  const secondStep = await phase(server, users, connections, step2);
  return { passwordStep, secondStep };
}
