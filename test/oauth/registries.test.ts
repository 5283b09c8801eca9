import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UserRow } from '../../src/db/repositories/users.js';
import { discoveryDocument } from '../../src/oauth/discovery.js';
import { GRANTS } from '../../src/oauth/grants/index.js';
import { DEFAULT_GRANT_TYPES, GRANT_TYPES, isGrantType } from '../../src/oauth/grants/grant-types.js';
import {
  STANDARD_SCOPES,
  STANDARD_SCOPE_DEFINITIONS,
  ScopeRegistry,
} from '../../src/oauth/scope-registry.js';
import { CONTROL_OR_BIDI, hasControlOrBidi } from '../../src/text-rules.js';

const user = (over: Partial<UserRow> = {}): UserRow => ({
  id: 'u1',
  tenant_id: 't1',
  email: 'ada@example.com',
  email_normalized: 'ada@example.com',
  email_verified: false,
  password_hash: null,
  name: null,
  profile: {},
  blocked: false,
  created_at: new Date(0),
  updated_at: new Date(1_700_000_000_500),
  last_login_at: null,
  sessions_revoked_at: null,
  ...over,
});

describe('grant registry', () => {
  test('the type, the handlers and discovery come from one list', () => {
    assert.deepEqual(GRANT_TYPES, ['authorization_code', 'refresh_token', 'client_credentials']);
    assert.deepEqual(Object.keys(GRANTS), GRANT_TYPES);
    assert.deepEqual(DEFAULT_GRANT_TYPES, ['authorization_code', 'refresh_token']);
    assert.deepEqual(discoveryDocument('https://x', STANDARD_SCOPES).grant_types_supported, GRANT_TYPES);
    assert.equal(isGrantType('password'), false);
    assert.equal(isGrantType('toString'), false, 'own keys only');
  });
});

describe('scope registry', () => {
  test('discovery lists the scopes and every claim they release, after the ID token claims', () => {
    const doc = discoveryDocument('https://x', STANDARD_SCOPES);
    assert.deepEqual(doc.scopes_supported, [
      'openid',
      'profile',
      'email',
      'phone',
      'address',
      'offline_access',
    ]);
    const claims = doc.claims_supported as string[];
    assert.deepEqual(claims.slice(0, 3), ['sub', 'iss', 'aud']);
    for (const claim of ['name', 'updated_at', 'email_verified', 'phone_number_verified', 'address']) {
      assert.ok(claims.includes(claim), claim);
    }
    assert.equal(new Set(claims).size, claims.length);
    assert.deepEqual(STANDARD_SCOPES.defaultScopes, ['openid', 'profile', 'email', 'phone', 'address']);
  });

  test('claims are read from the user as the scopes say; absent values are left out', () => {
    const plain = user();
    assert.deepEqual(STANDARD_SCOPES.userClaims(plain, ['openid', 'profile', 'email', 'phone', 'address']), {
      updated_at: 1_700_000_000,
      email: 'ada@example.com',
      email_verified: false,
    });
    const full = user({
      name: 'Ada',
      profile: {
        name: 'Profile Name',
        locale: 'en',
        nickname: '',
        picture: null,
        updated_at: 5,
        phone_number: '+15550100',
        address: { country: 'UK' },
      },
    });
    assert.deepEqual(STANDARD_SCOPES.userClaims(full, ['profile', 'phone', 'address']), {
      name: 'Ada',
      locale: 'en',
      updated_at: 1_700_000_000,
      phone_number: '+15550100',
      phone_number_verified: false,
      address: { country: 'UK' },
    });
    assert.equal(STANDARD_SCOPES.userClaims(user({ profile: { name: 'P' } }), ['profile']).name, 'P');
    assert.deepEqual(STANDARD_SCOPES.userClaims(full, ['openid', 'unknown']), {});
  });

  test('a registry built with more definitions adds scopes and claims; a duplicate is refused', () => {
    const extended = new ScopeRegistry([
      ...STANDARD_SCOPE_DEFINITIONS,
      {
        name: 'roles',
        description: 'See your roles',
        byDefault: false,
        aboutUser: true,
        claims: { roles: (u) => u.profile.roles },
      },
    ]);
    assert.deepEqual(extended.names.at(-1), 'roles');
    assert.ok((discoveryDocument('https://x', extended).claims_supported as string[]).includes('roles'));
    assert.deepEqual(extended.userClaims(user({ profile: { roles: ['admin'] } }), ['roles']), {
      roles: ['admin'],
    });
    assert.equal(STANDARD_SCOPES.names.includes('roles'), false, 'the standard registry is unchanged');
    assert.throws(() => new ScopeRegistry([...STANDARD_SCOPE_DEFINITIONS, STANDARD_SCOPE_DEFINITIONS[0]!]));
  });
});

describe('text rules', () => {
  test('control and text-direction characters', () => {
    for (const bad of ['a\u0000b', 'tab\there', 'del\u007f', 'c1\u0085', 'rlo\u202Eevil', 'iso\u2066x']) {
      assert.equal(hasControlOrBidi(bad), true, JSON.stringify(bad));
    }
    for (const good of ['Ada Lovelace', 'Zoë', 'ﺎﻠﻋﺮﺒﻳﺓ', 'zero\u200Bwidth']) {
      assert.equal(hasControlOrBidi(good), false, good);
    }
    assert.equal(CONTROL_OR_BIDI.flags, 'u');
  });
});
