// Secrets at rest: after a real flow (register, verify the address, login, refresh, browser session,
// forgot and reset password, key rotation, a user with every second factor, sign-in by email link and
// code, passkeys, and social sign-in) the database holds no secret a thief of a backup could use: no
// password, no refresh/reset/verification token, no access token, no session cookie, no master key, no
// private signing key material (PEM, PKCS#8 DER, the Ed25519 seed, the RSA private exponent or primes), no
// TOTP seed (base32 or raw), recovery code, emailed or texted code, mfa_token or trusted-device cookie, no
// sign-in link, email code or the code a link's page shows, no WebAuthn challenge, no social provider's
// client secret, exchange code or flow state — only hashes and sealed blobs. Checked twice: on every row of
// every table (both backends), and on the output of a real `pg_dump` (PostgreSQL only), which is what a
// backup actually contains.
//
// Emails are captured through a real SMTP server and texts through the fake Twilio, so the tokens and
// codes checked are the ones users receive.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { Secret as TotpSecret } from 'otpauth';
import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { hashToken } from '../../src/crypto/tokens.js';
import { uniqueEmail } from '../support/app.js';
import { urlFor } from '../support/db.js';
import { ADMIN_URL, unlessAvailable } from '../support/env.js';
import {
  TEST_TWILIO,
  codeInSms,
  startFakeTwilio,
  twilioEnv,
  type FakeSmsProvider,
} from '../support/fake-sms.js';
import { bearer, enrolEmail, enrolSms, enrolTotp, totpCode } from '../support/mfa.js';
import { HttpAgent, expectPage, isLoginPage, startOidcApp, type OidcTestApp } from '../support/oidc.js';
import { codeInMail, linkIn, mailReader, startSmtpServer, type TestSmtpServer } from '../support/smtp.js';
import { startOidcProvider, type LocalOidcProvider } from '../support/social-providers.js';
import { SoftAuthenticator } from '../support/webauthn.js';

const run = promisify(execFile);

interface Secret {
  label: string;
  /** Every form in which the secret would betray itself in a dump or a row's text. */
  forms: string[];
  /** The raw bytes, for a binary search of the dump (a short code's bytes are its text: `token` finds it). */
  bytes?: Buffer;
  /** A short code, found only as a whole token: any six digits in a hash or a timestamp must not count. */
  token?: RegExp;
}

/** A text secret: as is, and as the hex a bytea column would show. */
const textSecret = (label: string, value: string): Secret => ({
  label,
  forms: [value, Buffer.from(value).toString('hex')],
  bytes: Buffer.from(value),
});

/** A one-time code of a few digits: as a token of its own, and as the hex a bytea column would show. */
const codeSecret = (label: string, code: string): Secret => ({
  label,
  forms: [Buffer.from(code).toString('hex')],
  // Not after a dot: the fraction of a timestamp is six digits too.
  token: new RegExp(`(?<![0-9A-Za-z.])${code}(?![0-9A-Za-z])`),
});

/** Binary key material: hex (bytea), base64 and base64url (JWK, PEM, JSON). */
const binarySecret = (label: string, bytes: Buffer): Secret => ({
  label,
  forms: [bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')],
  bytes,
});

/** The private parts of a signing key, in every encoding an accidental write would use. */
function keySecrets(label: string, key: KeyObject): Secret[] {
  const jwk = key.export({ format: 'jwk' }) as JWK;
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const pem = key.export({ format: 'pem', type: 'pkcs8' }).toString();
  const pemBody = pem.split('\n').filter((line) => line && !line.startsWith('-----'))[0]!;
  const privateParts = (['d', 'p', 'q', 'dp', 'dq', 'qi'] as const).filter((part) => jwk[part] !== undefined);
  assert.ok(privateParts.includes('d'), `${label}: a private key`);
  return [
    ...privateParts.map((part) => binarySecret(`${label} ${part}`, Buffer.from(jwk[part]!, 'base64url'))),
    binarySecret(`${label} PKCS#8 DER`, der),
    textSecret(`${label} PEM line`, pemBody),
  ];
}

const stringsOf = (pattern: RegExp, text: string) => [...text.matchAll(pattern)].map((m) => m[1]!);

describe('secrets at rest', () => {
  let smtp: TestSmtpServer;
  let twilio: FakeSmsProvider<unknown>;
  let google: LocalOidcProvider;
  let t: OidcTestApp;
  let tenantId: string;
  let userId: string;
  const secrets: Secret[] = [];
  /** What must be there (hashes, sealed keys, the address), proving the searches look at the real data. */
  const expected: { label: string; form: string }[] = [];

  before(async () => {
    smtp = await startSmtpServer();
    twilio = await startFakeTwilio(TEST_TWILIO);
    google = await startOidcProvider({});
    const signingMaster = randomBytes(32);
    const secretboxMaster = randomBytes(32);
    // On `localhost`: a WebAuthn RP ID is a host name, not an address.
    t = await startOidcApp(
      {
        SMTP_HOST: '127.0.0.1',
        SMTP_PORT: String(smtp.port),
        SMTP_FROM: 'HelloJohn <no-reply@example.test>',
        SIGNING_MASTER_KEY: signingMaster.toString('hex'),
        SECRETBOX_MASTER_KEY: secretboxMaster.toString('base64'),
        ...twilioEnv(twilio),
        MFA_TOTP_WINDOW: '6',
        SOCIAL_GOOGLE_URL: google.issuer,
      },
      { hostname: 'localhost' },
    );
    secrets.push(binarySecret('signing master key', signingMaster));
    secrets.push(binarySecret('secretbox master key', secretboxMaster));

    const email = uniqueEmail('secrets');
    // Unique passwords, so finding one anywhere can only mean it was stored.
    const password = `First-Secret-${randomBytes(9).toString('base64url')}-Pw`;
    const newPassword = `Second-Secret-${randomBytes(9).toString('base64url')}-Pw`;
    secrets.push(textSecret('password', password), textSecret('new password', newPassword));
    const access: string[] = [];
    const refresh: string[] = [];
    const keep = (body: Record<string, unknown>) => {
      access.push(body.access_token as string);
      if (body.refresh_token) refresh.push(body.refresh_token as string);
    };
    /** The token of the first email of this kind whose token was not taken yet. */
    const mailTo = async (kind: RegExp, seen: Set<string>) => {
      const unseen = (text: string) => stringsOf(kind, text).find((token) => !seen.has(token));
      const mail = await smtp.waitFor((m) => m.to.includes(email) && unseen(m.text) !== undefined);
      const token = unseen(mail.text)!;
      seen.add(token);
      return token;
    };
    const seen = new Set<string>();

    const registered = await t.post('/v2/auth/register', { email, password, name: 'Secret Keeper' });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    userId = (registered.body.user as { id: string; tenant_id: string }).id;
    tenantId = (registered.body.user as { id: string; tenant_id: string }).tenant_id;
    keep(registered.body);
    const verification = await mailTo(/\/v2\/auth\/verify-email\?token=([A-Za-z0-9_-]{43})/g, seen);
    secrets.push(textSecret('verification token', verification));
    expected.push({ label: 'hash of the verification token', form: hashToken(verification).toString('hex') });

    const loggedIn = await t.post('/v2/auth/login', { email, password });
    assert.equal(loggedIn.status, 200);
    keep(loggedIn.body);
    for (let i = 0; i < 2; i++) {
      const refreshed = await t.post('/v2/auth/refresh', { refresh_token: refresh.at(-1) });
      assert.equal(refreshed.status, 200);
      keep(refreshed.body);
    }

    const browser = await fetch(`${t.base}/v2/session/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    assert.equal(browser.status, 200);
    const cookie = /^hj_session=([A-Za-z0-9_-]{43});/.exec(browser.headers.get('set-cookie') ?? '')![1]!;
    secrets.push(textSecret('session cookie', cookie));
    expected.push({ label: 'hash of the session cookie', form: hashToken(cookie).toString('hex') });
    const sessionToken = await t.get('/v2/session/token', { cookie: `hj_session=${cookie}` });
    assert.equal(sessionToken.status, 200);
    keep(sessionToken.body);

    assert.equal((await t.get(`/v2/auth/verify-email?token=${verification}`)).status, 200);

    // Two reset links: the first is superseded by the second (still in the table), the second is used.
    const resets: string[] = [];
    for (let i = 0; i < 2; i++) {
      assert.equal((await t.post('/v2/auth/forgot', { email })).status, 202);
      resets.push(await mailTo(/\/reset-password\?token=([A-Za-z0-9_-]{43})/g, seen));
    }
    resets.forEach((token, i) => {
      secrets.push(textSecret(`reset token ${i + 1}`, token));
      expected.push({ label: `hash of reset token ${i + 1}`, form: hashToken(token).toString('hex') });
    });
    const reset = await t.post('/v2/auth/reset-password', { token: resets[1], password: newPassword });
    assert.equal(reset.status, 200, JSON.stringify(reset.body));

    // Keys: the active pair, rotated (so retired keys stay sealed in the table), then the new pair in use.
    const keys = t.app.services.keys;
    const retired = [await keys.signingKey(tenantId, 'EdDSA'), await keys.signingKey(tenantId, 'RS256')];
    await keys.rotate(tenantId, { via: 'cli' });
    const afterRotation = [
      await keys.signingKey(tenantId, 'EdDSA'),
      await keys.signingKey(tenantId, 'RS256'),
    ];
    for (const key of [...retired, ...afterRotation]) {
      secrets.push(...keySecrets(`${key.alg} key ${key.kid}`, key.privateKey));
      expected.push({ label: `kid ${key.kid}`, form: key.kid });
    }
    const again = await t.post('/v2/auth/login', { email, password: newPassword });
    assert.equal(again.status, 200);
    keep(again.body);

    await withEveryFactor();
    const adminAuth = {
      authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}`,
    };
    await signInByEmail();
    await withPasskeys(String(again.body.access_token));
    await withSocialSignIn();

    access.forEach((token, i) => secrets.push(textSecret(`access token ${i + 1}`, token)));
    refresh.forEach((token, i) => {
      secrets.push(textSecret(`refresh token ${i + 1}`, token));
      expected.push({ label: `hash of refresh token ${i + 1}`, form: hashToken(token).toString('hex') });
    });
    expected.push({ label: 'email', form: email });
    assert.ok(access.length >= 6 && refresh.length >= 5);
    await t.app.services.outbox.drain();

    /**
     * A second user with an authenticator app (and so recovery codes), email and SMS codes, and a
     * remembered browser: a sign-in with each kind of code, and an emailed and a texted code left unused.
     */
    async function withEveryFactor() {
      const mfaEmail = uniqueEmail('secrets-mfa');
      const mfaPassword = `Third-Secret-${randomBytes(9).toString('base64url')}-Pw`;
      const phone = '+12025550171';
      secrets.push(textSecret('MFA user password', mfaPassword));
      const registered = await t.post('/v2/auth/register', { email: mfaEmail, password: mfaPassword });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      keep(registered.body);
      const auth = bearer(registered.body.access_token);
      const totp = await enrolTotp(t, auth);
      secrets.push(
        textSecret('TOTP secret (base32)', totp.secret),
        textSecret('TOTP secret (base32, lower case)', totp.secret.toLowerCase()),
        binarySecret('TOTP seed', Buffer.from(TotpSecret.fromBase32(totp.secret).bytes)),
      );
      assert.equal(totp.recoveryCodes.length, 10);
      totp.recoveryCodes.forEach((code, i) => {
        secrets.push(textSecret(`recovery code ${i + 1}`, code));
        // As typed (any case, dashes or not) and as compared (lower case, no dashes).
        for (const form of [code.replace(/-/g, ''), code.replace(/-/g, '').toUpperCase(), code.toUpperCase()])
          secrets.push(textSecret(`recovery code ${i + 1} (${form})`, form));
      });
      const nextMail = mailReader(smtp);
      await enrolEmail(t, auth, mfaEmail, nextMail);
      await enrolSms(t, auth, phone, twilio);

      const challenge = async () => {
        const first = await t.post('/v2/auth/login', { email: mfaEmail, password: mfaPassword });
        assert.equal(first.body.mfa_required, true, JSON.stringify(first.body));
        secrets.push(textSecret('mfa_token', String(first.body.mfa_token)));
        return String(first.body.mfa_token);
      };
      const send = async (mfaToken: string, factor: 'email' | 'sms') => {
        const sent = await t.post('/v2/mfa/challenge', { mfa_token: mfaToken, factor });
        assert.equal(sent.status, 202, JSON.stringify(sent.body));
        return factor === 'email'
          ? codeInMail(await nextMail(mfaEmail, /sign-in code/))
          : codeInSms(twilio.lastMessageTo(phone));
      };
      const complete = async (mfaToken: string, factor: string, code: string) => {
        const done = await t.post('/v2/mfa/challenge', { mfa_token: mfaToken, factor, code });
        assert.equal(done.status, 200, `${factor}: ${JSON.stringify(done.body)}`);
        keep(done.body);
      };
      const byMail = await challenge();
      await complete(byMail, 'email', await send(byMail, 'email'));
      const byText = await challenge();
      await complete(byText, 'sms', await send(byText, 'sms'));
      await complete(await challenge(), 'recovery_code', totp.recoveryCodes[0]!);
      const unused = await challenge();
      await send(unused, 'email');
      await send(unused, 'sms');

      // The hosted pages: the app's code, "remember this device".
      const agent = new HttpAgent();
      const login = expectPage(
        await agent.walk(`${t.base}/login?return_to=/account`),
        'the sign-in page',
        isLoginPage,
      );
      const mfaPage = expectPage(
        await agent.submit(login, { email: mfaEmail, password: mfaPassword }),
        'the second-step page',
        (page) => page.html.includes('name="mfa_token"'),
      );
      const signedIn = await agent.submit(
        mfaPage,
        { code: totpCode(totp.secret, 1), remember_device: 'true' },
        { form: (f) => f.fields.some((x) => x.name === 'action' && x.value === 'verify') },
      );
      expectPage(signedIn, 'the account page');
      const cookies = agent.jar.snapshot();
      const device = cookies.find((c) => c.name.startsWith('hj_device_'));
      assert.ok(device, 'a trusted-device cookie');
      secrets.push(textSecret('trusted-device cookie', device.value));
      const session = cookies.find((c) => c.name === 'hj_session');
      assert.ok(session, 'a session cookie');
      secrets.push(textSecret('hosted session cookie', session.value));

      // Every code the user was sent or typed: mailed, texted, and the app's of the steps around now.
      await t.app.services.outbox.drain();
      const mailed = smtp
        .messages()
        .filter((m) => m.to.includes(mfaEmail) && /Confirm email codes|sign-in code/.test(m.subject));
      const texted = twilio.messages.filter((m) => m.to === phone);
      assert.equal(mailed.length, 3, 'the enrolment code and two sign-in codes by email');
      assert.equal(texted.length, 3, 'the enrolment code and two sign-in codes by text');
      mailed.forEach((mail, i) => secrets.push(codeSecret(`emailed code ${i + 1}`, codeInMail(mail))));
      texted.forEach((sms, i) => secrets.push(codeSecret(`texted code ${i + 1}`, codeInSms(sms))));
      for (const ahead of [-1, 0, 1, 2])
        secrets.push(codeSecret(`TOTP code (step ${ahead})`, totpCode(totp.secret, ahead)));

      // Controls: what is stored instead, so the searches provably cover the MFA tables.
      for (const { label, sql } of [
        { label: 'the sealed TOTP seed', sql: 'SELECT secret_sealed AS v FROM mfa_totp' },
        { label: 'a recovery code MAC', sql: 'SELECT code_hash AS v FROM mfa_recovery_codes' },
        { label: 'an emailed or texted code MAC', sql: 'SELECT code_hash AS v FROM mfa_one_time_codes' },
      ]) {
        const rows = await t.db.query<{ v: Uint8Array }>(sql);
        assert.ok(rows.rows.length > 0, label);
        for (const row of rows.rows) expected.push({ label, form: Buffer.from(row.v).toString('hex') });
      }
    }

    /**
     * Sign-in by email for the first user: a link an app exchanges, a link opened on another device (its
     * page shows a code, left unexchanged), and an emailed code left unused.
     */
    async function signInByEmail() {
      const on = await fetch(`${t.base}/v2/admin/tenants/default/email-sign-in`, {
        method: 'PUT',
        headers: { ...adminAuth, 'content-type': 'application/json' },
        body: JSON.stringify({ magic_link: true, email_otp: true }),
      });
      assert.equal(on.status, 200, await on.text());
      const nextMail = mailReader(smtp);
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      secrets.push(textSecret('email link verifier', verifier));
      const linkToken = async () => {
        const sent = await t.post('/v2/auth/magic-link/send', { email, code_challenge: challenge });
        assert.equal(sent.status, 202, JSON.stringify(sent.body));
        const link = linkIn(await nextMail(email, /^Sign in to /), '/v2/auth/magic-link/verify');
        const token = link.searchParams.get('token')!;
        secrets.push(textSecret('sign-in link token', token));
        return { link, token };
      };
      const first = await linkToken();
      const exchanged = await t.post('/v2/auth/magic-link/exchange', {
        token: first.token,
        code_verifier: verifier,
      });
      assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
      keep(exchanged.body);
      // Another device: the link's page shows a code for the app (left unexchanged: its MAC stays).
      const second = await linkToken();
      const agent = new HttpAgent();
      const linkPage = expectPage(await agent.walk(second.link), 'the link page', (p) => p.status === 200);
      const shown = expectPage(
        await agent.submit(linkPage, {}, { form: (f) => f.action.pathname.endsWith('/magic-link/verify') }),
        'the page with the code',
      );
      const shownCode = /<code[^>]*>(\d{6})<\/code>/.exec(shown.html)?.[1];
      assert.ok(shownCode, 'a code on the page');
      secrets.push(codeSecret('code shown for the app', shownCode));
      const sentCode = await t.post('/v2/auth/otp/send', { email });
      assert.equal(sentCode.status, 202, JSON.stringify(sentCode.body));
      secrets.push(codeSecret('emailed sign-in code', codeInMail(await nextMail(email, /sign-in code$/))));
      for (const { label, sql } of [
        {
          label: 'a sign-in link MAC',
          sql: "SELECT secret_hash AS v FROM email_sign_ins WHERE kind = 'link'",
        },
        {
          label: 'an email code MAC',
          sql: "SELECT secret_hash AS v FROM email_sign_ins WHERE kind = 'code'",
        },
        {
          label: 'the MAC of a code shown for an app',
          sql: 'SELECT exchange_hash AS v FROM email_sign_ins WHERE exchange_hash IS NOT NULL',
        },
      ]) {
        const rows = await t.db.query<{ v: Uint8Array }>(sql);
        assert.ok(rows.rows.length > 0, label);
        for (const row of rows.rows) expected.push({ label, form: Buffer.from(row.v).toString('hex') });
      }
    }

    /**
     * A passkey for the first user, a sign-in with it, and a registration and a sign-in left half-way
     * (their challenges stored): no challenge as sent, only its SHA-256; the authenticator's key is its own.
     */
    async function withPasskeys(accessToken: string) {
      const auth = { authorization: `Bearer ${accessToken}` };
      const authenticator = new SoftAuthenticator(t.base);
      const challenges: string[] = [];
      const registerOptions = async () => {
        const begin = await t.post('/v2/auth/webauthn/register/begin', {}, auth);
        assert.equal(begin.status, 200, JSON.stringify(begin.body));
        const options = begin.body as unknown as PublicKeyCredentialCreationOptionsJSON;
        challenges.push(options.challenge);
        return options;
      };
      const loginOptions = async () => {
        const begin = await t.post('/v2/auth/webauthn/login/begin', {});
        assert.equal(begin.status, 200, JSON.stringify(begin.body));
        const options = begin.body as unknown as PublicKeyCredentialRequestOptionsJSON;
        challenges.push(options.challenge);
        return options;
      };
      const finished = await t.post(
        '/v2/auth/webauthn/register/finish',
        { response: authenticator.register(await registerOptions()), name: 'Secret key' },
        auth,
      );
      assert.equal(finished.status, 201, JSON.stringify(finished.body));
      const signedIn = await t.post('/v2/auth/webauthn/login/finish', {
        response: authenticator.assert(await loginOptions()),
      });
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      keep(signedIn.body);
      const pending = [await registerOptions(), await loginOptions()].map((o) => o.challenge);
      challenges.forEach((c, i) => secrets.push(textSecret(`WebAuthn challenge ${i + 1}`, c)));
      for (const challenge of pending)
        expected.push({
          label: 'the SHA-256 of a pending WebAuthn challenge',
          form: createHash('sha256').update(challenge).digest('hex'),
        });
      for (const credential of authenticator.credentials) {
        const jwk = credential.privateKey.export({ format: 'jwk' }) as JWK;
        secrets.push(binarySecret('passkey private key', Buffer.from(jwk.d!, 'base64url')));
      }
    }

    /**
     * Google (a local OpenID Provider) with its client secret: a new account made by an application's
     * social sign-in, twice; one exchange code exchanged, one left (stored as its SHA-256).
     */
    async function withSocialSignIn() {
      google.register([`${t.base}/v2/auth/social/google/callback`]);
      const saved = await fetch(`${t.base}/v2/admin/tenants/default/social-providers/google`, {
        method: 'PUT',
        headers: { ...adminAuth, 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: google.clientId, client_secret: google.clientSecret }),
      });
      assert.equal(saved.status, 200, await saved.text());
      secrets.push(textSecret('social client secret', google.clientSecret));
      const app = await t.createClient({ type: 'public', firstParty: true });
      const verifier = randomBytes(32).toString('base64url');
      secrets.push(textSecret('social exchange verifier', verifier));
      const socialEmail = uniqueEmail('secrets-social');
      google.signIn({ sub: `g-${randomBytes(6).toString('hex')}`, email: socialEmail, email_verified: true });
      const codeOfASignIn = async () => {
        const start = new URL(`${t.base}/v2/auth/social/google/start`);
        for (const [k, v] of Object.entries({
          client_id: app.clientId,
          redirect_uri: app.redirectUri,
          code_challenge: createHash('sha256').update(verifier).digest('base64url'),
          code_challenge_method: 'S256',
          state: 'app-state',
        }))
          start.searchParams.set(k, v);
        const agent = new HttpAgent();
        let landing = await agent.walk(start);
        assert.equal(landing.kind, 'redirect');
        const state = landing.kind === 'redirect' ? landing.url.searchParams.get('state') : null;
        assert.ok(state, 'the sealed flow state');
        secrets.push(textSecret('social flow state', state));
        for (let i = 0; i < 10 && landing.kind === 'redirect'; i++) {
          if (![t.base, google.origin].includes(landing.url.origin)) break;
          landing = await agent.walk(landing.url);
        }
        assert.equal(
          landing.kind,
          'redirect',
          landing.kind === 'page' ? landing.page.html.slice(0, 300) : '',
        );
        const binding = agent.jar.snapshot().find((c) => c.name === 'hj_social');
        assert.ok(binding, 'the browser binding cookie');
        secrets.push(textSecret('social browser binding', binding.value));
        const code = landing.kind === 'redirect' ? landing.url.searchParams.get('code') : null;
        assert.ok(code, 'an exchange code');
        secrets.push(textSecret('social exchange code', code));
        return code;
      };
      const used = await codeOfASignIn();
      const tokens = await t.post('/v2/auth/social/exchange', {
        code: used,
        code_verifier: verifier,
        client_id: app.clientId,
      });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      keep(tokens.body);
      const left = await codeOfASignIn();
      expected.push({ label: 'the SHA-256 of an exchange code', form: hashToken(left).toString('hex') });
      const sealed = await t.db.query<{ v: Uint8Array }>(
        "SELECT client_secret_sealed AS v FROM social_providers WHERE id = 'google'",
      );
      expected.push({
        label: 'the sealed client secret',
        form: Buffer.from(sealed.rows[0]!.v).toString('hex'),
      });
    }
  });
  after(async () => {
    await t?.close();
    await smtp?.stop();
    await twilio?.stop();
    await google?.close();
  });

  /** Problems found in `text` (and `raw`, when the dump is read as bytes). */
  function audit(text: string, raw?: Buffer): string[] {
    const problems: string[] = [];
    const lower = text.toLowerCase();
    for (const secret of secrets) {
      for (const form of secret.forms) {
        const hexLike = /^[0-9a-f]+$/.test(form);
        if (hexLike ? lower.includes(form) : text.includes(form)) {
          problems.push(`${secret.label} found (${form.slice(0, 16)}…)`);
        }
      }
      if (secret.token?.test(text)) problems.push(`${secret.label} found`);
      if (secret.bytes && raw?.includes(secret.bytes)) problems.push(`${secret.label} found as raw bytes`);
    }
    if (text.includes('-----BEGIN')) problems.push('PEM armour found');
    if (/PRIVATE KEY/i.test(text)) problems.push('"PRIVATE KEY" found');
    if (/eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./.test(text)) problems.push('a JWT found');
    for (const { label, form } of expected) {
      if (!lower.includes(form.toLowerCase()))
        problems.push(`control: ${label} missing — wrong data searched?`);
    }
    return problems;
  }

  test('no secret in any row of any table; passwords are Argon2id hashes; keys are sealed', async () => {
    const tables = await t.db.query<{ name: string }>(
      `SELECT quote_ident(table_name) AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    assert.ok(tables.rows.length >= 6, 'the schema is there');
    const rows: string[] = [];
    for (const { name } of tables.rows) {
      const result = await t.db.query<{ row: string }>(`SELECT x::text AS row FROM ${name} x`);
      rows.push(...result.rows.map((r) => `${name}: ${r.row}`));
    }
    const problems = audit(rows.join('\n'));
    assert.deepEqual(problems, []);

    const hashes = await t.db.query<{ id: string; password_hash: string | null }>(
      'SELECT id, password_hash FROM users',
    );
    const mine = hashes.rows.find((r) => r.id === userId);
    assert.ok(mine?.password_hash, 'the user has a password');
    for (const row of hashes.rows) {
      if (row.password_hash !== null)
        assert.match(row.password_hash, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    }

    // The sealed column, byte for byte: no seed, no private exponent, no DER inside.
    const sealed = await t.db.query<{ kid: string; private_key_enc: Uint8Array }>(
      'SELECT kid, private_key_enc FROM signing_keys WHERE tenant_id = $1',
      [tenantId],
    );
    assert.equal(sealed.rows.length, 6, 'three retired and three active keys');
    for (const row of sealed.rows) {
      const blob = Buffer.from(row.private_key_enc);
      for (const secret of secrets) {
        if (secret.bytes)
          assert.ok(!blob.includes(secret.bytes), `${secret.label} inside the sealed key ${row.kid}`);
      }
    }
  });

  test('pg_dump of the database holds no secret', { skip: unlessAvailable({ postgres: true }) }, async () => {
    const url = urlFor(ADMIN_URL!, t.testDb.name!);
    const { stdout } = await run(
      'pg_dump',
      ['--format=plain', '--no-owner', '--no-privileges', `--dbname=${url}`],
      {
        encoding: 'buffer',
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    const dump = stdout.toString('utf8');
    assert.match(dump, /COPY public\.users /, 'a data dump');
    assert.match(dump, /\$argon2id\$v=19\$/, 'the stored hash is Argon2id');
    const problems = audit(dump, stdout);
    assert.deepEqual(problems, []);
  });
});
