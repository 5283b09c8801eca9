// Sealed authorization codes: what goes in comes out; a code opens only for its tenant and only as a code
// (not as another sealed state under the same master key); expiry is reported, not hidden; PKCE S256.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SealedState } from '../crypto/sealed-state.js';
import { AuthorizationCodes, pkceMatches, type CodeGrant } from './authorization-codes.js';
import { InteractionSealer } from './interaction.js';

const masterKey = randomBytes(32);
const TENANT = '0d4f2b8e-52f3-4a8e-9d55-0d0c4b1f7a10';
const grant: Omit<CodeGrant, 'sessionId'> = {
  clientRowId: 'b0a3c8a2-3f2e-4f3a-8a55-2d7c9e1f0a11',
  userId: 'f5a0e0d8-7c1b-4c5e-9a0f-6e2b3d4c5a12',
  browserSessionId: '3c2b1a09-8f7e-4d6c-b5a4-93827161f013',
  redirectUri: 'https://app.example.com/callback',
  scope: 'openid email offline_access',
  nonce: 'n-0S6_WzA2Mj',
  codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  authTime: new Date('2026-12-07T08:00:00.000Z'),
  amr: ['pwd', 'otp'],
};

test('a code opens to the grant it was issued for, with a fresh session id each time', () => {
  const codes = new AuthorizationCodes(masterKey, 60_000);
  const now = Date.now();
  const a = codes.issue(TENANT, grant, now);
  const b = codes.issue(TENANT, grant, now);
  assert.notEqual(a.sessionId, b.sessionId);
  assert.notEqual(a.code, b.code);
  assert.match(a.code, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(codes.open(TENANT, a.code, now + 1000), {
    grant: { ...grant, sessionId: a.sessionId },
    expired: false,
  });
  const bare = codes.issue(TENANT, { ...grant, nonce: null, codeChallenge: null }, now);
  assert.deepEqual(codes.open(TENANT, bare.code, now)?.grant, {
    ...grant,
    nonce: null,
    codeChallenge: null,
    sessionId: bare.sessionId,
  });
});

test('an expired code still opens, marked expired (its replay must still revoke)', () => {
  const codes = new AuthorizationCodes(masterKey, 60_000);
  const { code } = codes.issue(TENANT, grant, 1_000_000);
  assert.equal(codes.open(TENANT, code, 1_059_999)?.expired, false);
  assert.equal(codes.open(TENANT, code, 1_060_000)?.expired, true);
});

test('another tenant, another master key, an altered code or another sealed state does not open', () => {
  const codes = new AuthorizationCodes(masterKey, 60_000);
  const { code } = codes.issue(TENANT, grant);
  assert.equal(codes.open('6a1e4d3c-0000-4000-8000-000000000000', code), null);
  assert.equal(new AuthorizationCodes(randomBytes(32), 60_000).open(TENANT, code), null);
  const at = code.length >> 1;
  assert.equal(
    codes.open(TENANT, code.slice(0, at) + (code[at] === 'A' ? 'B' : 'A') + code.slice(at + 1)),
    null,
  );
  assert.equal(codes.open(TENANT, ''), null);
  assert.equal(codes.open(TENANT, 'x'.repeat(20_000)), null);
  // Same master key, other purposes: an interaction cookie or another module's sealed state is no code.
  const interactions = new InteractionSealer(masterKey, 60_000);
  const cookie = interactions.seal(TENANT, interactions.start({ client_id: 'x' }));
  assert.equal(codes.open(TENANT, cookie), null);
  const other = new SealedState<{ expiresAt: number }>(
    masterKey,
    { keyInfo: 'other', label: 'authorization_code' },
    4096,
  );
  assert.equal(codes.open(TENANT, other.seal(TENANT, { expiresAt: Date.now() + 1000 })), null);
});

test('PKCE: S256 of the verifier must equal the challenge; no challenge, no verifier', () => {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  assert.equal(pkceMatches(challenge, verifier), true);
  assert.equal(pkceMatches(challenge, `${verifier}x`), false);
  assert.equal(pkceMatches(challenge, undefined), false);
  assert.equal(pkceMatches(challenge, challenge), false, 'the challenge itself is not a verifier (plain)');
  assert.equal(pkceMatches(null, undefined), true);
  assert.equal(pkceMatches(null, verifier), false, 'a verifier without a challenge is a downgrade');
});
