// A user's ways to sign in, across the core's password and what modules hold: a module that exists only in
// this test keeps "keys" in its own table and lists them as identities. Removing one never leaves an
// account without a way to sign in, even when two removals race.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Identities } from '../../src/auth/identities.js';
import { defineModule } from '../../src/kernel/module.js';
import { featureModules } from '../../src/modules/index.js';
import type { Tenant, Tenants } from '../../src/tenants/tenants.js';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../support/app.js';

let identities: Identities;
let tenants: Tenants;

const keysModule = defineModule({
  id: 'test-keys',
  migrations: [
    {
      version: 901,
      name: 'test_keys',
      sql: `CREATE TABLE test_keys (tenant_id uuid NOT NULL, user_id uuid NOT NULL, id text NOT NULL,
              created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (user_id, id))`,
    },
  ],
  setup(core) {
    identities = core.identities;
    tenants = core.tenants;
    return {
      identities: {
        async list(db, tenant, userId) {
          const r = await db.query<{ id: string; created_at: Date }>(
            'SELECT id, created_at FROM test_keys WHERE tenant_id = $1 AND user_id = $2 ORDER BY id',
            [tenant.id, userId],
          );
          return r.rows.map((row) => ({
            method: 'test_key',
            id: row.id,
            label: `Key ${row.id}`,
            createdAt: row.created_at,
            lastUsedAt: null,
          }));
        },
      },
    };
  },
});

let t: TestApp;
let tenant: Tenant;
before(async () => {
  t = await startTestApp({}, { modules: [...featureModules, keysModule] });
  tenant = await tenants.resolve('default');
});
after(() => t.close());

/** A registered user with the given keys; `password: false` takes the password away (a social sign-up). */
async function userWith(keys: string[], options: { password: boolean }): Promise<string> {
  const r = await t.post('/v2/auth/register', { email: uniqueEmail('ids'), password: STRONG_PASSWORD });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const userId = (r.body.user as { id: string }).id;
  for (const id of keys)
    await t.db.query('INSERT INTO test_keys (tenant_id, user_id, id) VALUES ($1, $2, $3)', [
      tenant.id,
      userId,
      id,
    ]);
  if (!options.password) await t.db.query('UPDATE users SET password_hash = NULL WHERE id = $1', [userId]);
  return userId;
}

const removeKey = (userId: string, id: string) =>
  identities.remove(tenant, userId, { method: 'test_key', id }, async (tx) => {
    const r = await tx.query('DELETE FROM test_keys WHERE user_id = $1 AND id = $2', [userId, id]);
    return r.rowCount === 1;
  });

const remaining = async (userId: string) =>
  (await identities.list(tenant, userId)).map((i) => `${i.method}:${i.id}`);

describe('a user\u2019s ways to sign in', () => {
  test('the password first, then each module\u2019s identities', async () => {
    const userId = await userWith(['a', 'b'], { password: true });
    const all = await identities.list(tenant, userId);
    assert.deepEqual(
      all.map((i) => [i.method, i.id, i.label]),
      [
        ['password', 'password', 'Password'],
        ['test_key', 'a', 'Key a'],
        ['test_key', 'b', 'Key b'],
      ],
    );
    assert.ok(all.every((i) => i.createdAt instanceof Date));
  });

  test('an identity is removed while another way to sign in is left; the last one is refused with 409', async () => {
    const userId = await userWith(['a', 'b'], { password: false });
    assert.equal(await removeKey(userId, 'a'), true);
    assert.deepEqual(await remaining(userId), ['test_key:b']);
    await assert.rejects(removeKey(userId, 'b'), (error: { code?: string; status?: number }) => {
      assert.equal(error.code, 'conflict');
      assert.equal(error.status, 409);
      return true;
    });
    assert.deepEqual(await remaining(userId), ['test_key:b'], 'nothing removed');
  });

  test('with a password left, the last key goes', async () => {
    const userId = await userWith(['a'], { password: true });
    assert.equal(await removeKey(userId, 'a'), true);
    assert.deepEqual(await remaining(userId), ['password:password']);
  });

  test('an identity the user does not have: false, nothing removed', async () => {
    const userId = await userWith(['a'], { password: true });
    const other = await userWith(['z'], { password: true });
    assert.equal(await removeKey(userId, 'z'), false);
    assert.deepEqual(await remaining(other), ['password:password', 'test_key:z']);
  });

  test('two removals at once cannot leave an account with no way to sign in', async () => {
    for (let round = 0; round < 5; round++) {
      const userId = await userWith(['a', 'b'], { password: false });
      const results = await Promise.allSettled([removeKey(userId, 'a'), removeKey(userId, 'b')]);
      assert.equal(
        results.filter((r) => r.status === 'fulfilled' && r.value).length,
        1,
        JSON.stringify(results),
      );
      assert.equal(results.filter((r) => r.status === 'rejected').length, 1);
      assert.equal((await remaining(userId)).length, 1);
    }
  });
});
