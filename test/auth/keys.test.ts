// Signing-key rotation: tokens signed before a rotation keep verifying (with jose, against the JWKS, and
// at /v2/me) until the grace period ends; the JWKS follows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet } from 'jose';
import { runCli } from '../support/cli.js';
import { STRONG_PASSWORD, startTestApp, uniqueEmail } from '../support/app.js';
import { unlessAvailable } from '../support/env.js';

test('a token signed before rotation verifies until KEY_ROTATION_GRACE ends, then not', async () => {
  const t = await startTestApp({ KEY_ROTATION_GRACE: '3s' });
  try {
    const email = uniqueEmail('rotate');
    const before = await t.post('/v2/auth/register', { email, password: STRONG_PASSWORD });
    const oldToken = before.body.access_token as string;
    const oldKid = decodeProtectedHeader(oldToken).kid!;
    const jwksBefore = (await t.get('/.well-known/jwks.json')).body as unknown as JSONWebKeySet;
    assert.deepEqual(jwksBefore.keys.map((k) => k.alg).sort(), ['ES256', 'EdDSA', 'RS256']);
    assert.ok(
      jwksBefore.keys.every((k) => !('d' in k)),
      'no private parts in the JWKS',
    );

    const tenant = await t.app.services.tenants.resolve('default');
    const rotated = await t.app.services.keys.rotate(tenant.id, { via: 'cli' });
    assert.ok(rotated.retired.includes(oldKid));

    const during = (await t.get('/.well-known/jwks.json')).body as unknown as JSONWebKeySet;
    assert.equal(during.keys.length, 6, 'old and new keys are both published');
    await jwtVerify(oldToken, createLocalJWKSet(during), { issuer: t.base });
    assert.equal((await t.get('/v2/me', { authorization: `Bearer ${oldToken}` })).status, 200);
    const after = await t.post('/v2/auth/login', { email, password: STRONG_PASSWORD });
    const newKid = decodeProtectedHeader(after.body.access_token as string).kid;
    assert.notEqual(newKid, oldKid);
    assert.ok(rotated.created.includes(newKid!));

    await new Promise((resolve) => setTimeout(resolve, 3_300));
    const later = (await t.get('/.well-known/jwks.json')).body as unknown as JSONWebKeySet;
    assert.deepEqual(later.keys.map((k) => k.kid).sort(), [...rotated.created].sort());
    await assert.rejects(jwtVerify(oldToken, createLocalJWKSet(later)), errors.JWKSNoMatchingKey);
    const me = await t.get('/v2/me', { authorization: `Bearer ${oldToken}` });
    assert.equal(me.status, 401);
    assert.equal(me.body.error, 'invalid_token');
    assert.equal(
      (await t.get('/v2/me', { authorization: `Bearer ${after.body.access_token as string}` })).status,
      200,
    );
  } finally {
    await t.close();
  }
});

test('hellojohn keys list and keys rotate', { skip: unlessAvailable({ postgres: true }) }, async () => {
  const t = await startTestApp();
  try {
    const env = { ...t.testDb.env };
    const listed = await runCli(['keys', 'list', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const before = (JSON.parse(listed.stdout) as { keys: { kid: string; status: string }[] }).keys;
    assert.equal(before.filter((k) => k.status === 'active').length, 3);

    const rotate = await runCli(['keys', 'rotate', '--json'], env);
    assert.equal(rotate.code, 0, rotate.stderr);
    const result = JSON.parse(rotate.stdout) as { retired: string[]; created: string[] };
    assert.deepEqual([...result.retired].sort(), before.map((k) => k.kid).sort());

    const text = await runCli(['keys', 'list'], env);
    assert.match(text.stdout, /retired \(published\)/);
    const unknown = await runCli(['keys', 'list', '--tenant', 'nope'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^hellojohn: no tenant "nope"/m);
  } finally {
    await t.close();
  }
});
