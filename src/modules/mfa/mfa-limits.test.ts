// The second step's limits over real HTTP, with the real MFA module (TOTP): an mfa_token lives
// MFA_TOKEN_TTL and completes once; a burst of wrong codes gets no more checks than the same codes one
// after another, per challenge (5, SECOND_STEP_ATTEMPTS in src/composition.ts) and per account
// (LOGIN_MAX_FAILURES, across challenges: a new sign-in does not restart the count).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  STRONG_PASSWORD,
  startTestApp,
  uniqueEmail,
  type JsonResponse,
  type TestApp,
} from '../../../test/support/app.js';
import { bearer, enrolTotp, totpCode } from '../../../test/support/mfa.js';

/** Codes one challenge takes (src/composition.ts). */
const PER_CHALLENGE = 5;
/** LOGIN_MAX_FAILURES here: above PER_CHALLENGE, so each test shows which of the two limits held. */
const PER_ACCOUNT = 8;

let hosts = 0;
/** An address of its own for each test (TRUST_PROXY=1), so no test spends another's address budget. */
const newAddress = () => ({ 'x-forwarded-for': `198.51.100.${++hosts}` });

/** A user with a confirmed authenticator app. */
async function enrolledUser(t: TestApp, from: Record<string, string>) {
  const email = uniqueEmail('mfa-limits');
  const registered = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD }, from);
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const { secret, recoveryCodes } = await enrolTotp(t, { ...from, ...bearer(registered.body.access_token) });
  return { email, secret, recoveryCodes, id: (registered.body.user as { id: string }).id };
}

/** A six-digit code that is none of the codes the server accepts right now (MFA_TOTP_WINDOW steps either side). */
function wrongCode(secret: string): string {
  const accepted = new Set(Array.from({ length: 13 }, (_, i) => totpCode(secret, i - 6)));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!accepted.has(code)) return code;
  }
}

/** How many answers had each status, e.g. { 400: 15, 401: 5 }. */
const tally = (answers: JsonResponse[]) =>
  answers.reduce<Record<number, number>>((n, a) => ({ ...n, [a.status]: (n[a.status] ?? 0) + 1 }), {});

describe('the second step under parallel guessing', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      MFA_TOTP_WINDOW: '6',
      LOGIN_MAX_FAILURES: String(PER_ACCOUNT),
      LOGIN_LOCKOUT: '15m',
      TRUST_PROXY: '1',
    });
  });
  after(() => t.close());

  const login = async (email: string, from: Record<string, string>) => {
    const first = await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD }, from);
    assert.equal(first.body.mfa_required, true, JSON.stringify(first.body));
    return String(first.body.mfa_token);
  };
  const answer = (mfaToken: string, code: string, from: Record<string, string>, factor = 'totp') =>
    t.post('/v2/mfa/challenge', { mfa_token: mfaToken, factor, code }, from);
  /** The codes the server checked and found wrong: one audit event each. */
  const checked = async (userId: string) =>
    (
      await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_events WHERE type = 'login.second_step_failed' AND user_id = $1`,
        [userId],
      )
    ).rows[0]!.n;

  test('20 wrong codes at once on one mfa_token: 5 are checked, the rest find it spent; then the right code too', async () => {
    const from = newAddress();
    const user = await enrolledUser(t, from);
    const token = await login(user.email, from);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => answer(token, wrongCode(user.secret), from)),
    );
    assert.deepEqual(tally(answers), { 400: 20 - PER_CHALLENGE, 401: PER_CHALLENGE });
    for (const a of answers) {
      assert.equal(a.body.error, a.status === 401 ? 'invalid_credentials' : 'invalid_grant');
      assert.equal(typeof a.body.error_description, 'string');
    }
    assert.equal(await checked(user.id), PER_CHALLENGE, 'no more codes were compared than the limit');

    const right = await answer(token, totpCode(user.secret, 1), from);
    assert.equal(right.status, 400, 'the challenge is used up: even the right code is refused');
    assert.equal(right.body.error, 'invalid_grant');
    assert.equal(await checked(user.id), PER_CHALLENGE);
    // The account is not locked (5 of 8), and the refused code was never compared: it signs in afresh.
    const again = await answer(await login(user.email, from), totpCode(user.secret, 1), from);
    assert.equal(again.status, 200, JSON.stringify(again.body));
  });

  test('wrong codes on several mfa_tokens at once: the account locks at LOGIN_MAX_FAILURES; a new sign-in does not restart the count', async () => {
    const from = newAddress();
    const user = await enrolledUser(t, from);
    const tokens = await Promise.all(Array.from({ length: 4 }, () => login(user.email, from)));
    assert.equal(new Set(tokens).size, 4);
    // Five each, within every challenge's own limit: only the account's limit can refuse them.
    const answers = await Promise.all(
      tokens.flatMap((token) =>
        Array.from({ length: PER_CHALLENGE }, () => answer(token, wrongCode(user.secret), from)),
      ),
    );
    assert.deepEqual(tally(answers), { 401: PER_ACCOUNT, 429: 4 * PER_CHALLENGE - PER_ACCOUNT });
    for (const a of answers.filter((x) => x.status === 429)) {
      assert.equal(a.body.error, 'rate_limited');
      assert.ok(Number(a.headers.get('retry-after')) >= 1);
    }
    assert.equal(await checked(user.id), PER_ACCOUNT);

    // The password step still answers (its own lockout), but no challenge of this account takes a code
    // until the lock ends: not a new one, not with the right code, not a recovery code.
    const fresh = await login(user.email, from);
    const locked = await answer(fresh, totpCode(user.secret, 1), from);
    assert.equal(locked.status, 429, JSON.stringify(locked.body));
    assert.equal(locked.body.error, 'rate_limited');
    assert.ok(Number(locked.headers.get('retry-after')) > 15 * 60 - 60, 'locked for LOGIN_LOCKOUT');
    const recovery = await answer(fresh, user.recoveryCodes[0]!, from, 'recovery_code');
    assert.equal(recovery.status, 429);
    // Another address changes nothing: the lock is the account's.
    const elsewhere = newAddress();
    assert.equal(
      (await answer(await login(user.email, elsewhere), totpCode(user.secret, 1), elsewhere)).status,
      429,
    );
    assert.equal(await checked(user.id), PER_ACCOUNT, 'nothing was compared while locked');
  });
});

describe('the mfa_token: lifetime and single use', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ MFA_TOTP_WINDOW: '6', MFA_TOKEN_TTL: '2s' });
  });
  after(() => t.close());

  const login = async (email: string) => {
    const first = await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD });
    assert.equal(first.body.mfa_required, true, JSON.stringify(first.body));
    return first;
  };

  test('an mfa_token older than MFA_TOKEN_TTL is refused with invalid_grant; the code it carried still works', async () => {
    const user = await enrolledUser(t, {});
    const first = await login(user.email);
    assert.equal(first.body.expires_in, 2, 'the answer says how long the token lives');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const late = await t.post('/v2/mfa/challenge', {
      mfa_token: first.body.mfa_token,
      factor: 'totp',
      code: totpCode(user.secret, 1),
    });
    assert.equal(late.status, 400, JSON.stringify(late.body));
    assert.equal(late.body.error, 'invalid_grant');
    assert.match(String(late.body.error_description), /invalid or expired; sign in again/);
    assert.equal(typeof late.body.request_id, 'string');
    const sent = await t.post('/v2/mfa/challenge', { mfa_token: first.body.mfa_token, factor: 'email' });
    assert.equal(sent.status, 400, 'an expired token is refused before anything else is looked at');

    const fresh = await login(user.email);
    const done = await t.post('/v2/mfa/challenge', {
      mfa_token: fresh.body.mfa_token,
      factor: 'totp',
      code: totpCode(user.secret, 1),
    });
    assert.equal(done.status, 200, JSON.stringify(done.body));
  });

  test('a completed mfa_token is refused with invalid_grant, before any code is looked at', async () => {
    const user = await enrolledUser(t, {});
    const first = await login(user.email);
    const done = await t.post('/v2/mfa/challenge', {
      mfa_token: first.body.mfa_token,
      factor: 'totp',
      code: totpCode(user.secret, 1),
    });
    assert.equal(done.status, 200);
    // Again with a fresh valid code of each kind: refused, and neither code is spent by the refusal.
    const replays = [
      { what: 'a new TOTP code', factor: 'totp', code: totpCode(user.secret, 2) },
      { what: 'a recovery code', factor: 'recovery_code', code: user.recoveryCodes[0]! },
      { what: 'a wrong code', factor: 'totp', code: wrongCode(user.secret) },
    ];
    for (const { what, ...replay } of replays) {
      const reused = await t.post('/v2/mfa/challenge', { mfa_token: first.body.mfa_token, ...replay });
      assert.equal(reused.status, 400, `${what}: ${JSON.stringify(reused.body)}`);
      assert.equal(reused.body.error, 'invalid_grant');
      assert.match(String(reused.body.error_description), /invalid or expired; sign in again/);
    }
    const failures = await t.db.query(
      `SELECT 1 FROM audit_events WHERE type = 'login.second_step_failed' AND user_id = $1`,
      [user.id],
    );
    assert.equal(failures.rows.length, 0, 'a spent token counts no failure against the account');
    for (const { factor, code } of replays.slice(0, 2)) {
      const next = await login(user.email);
      const used = await t.post('/v2/mfa/challenge', { mfa_token: next.body.mfa_token, factor, code });
      assert.equal(used.status, 200, `${factor} still unused: ${JSON.stringify(used.body)}`);
    }
  });
});
