// The tenant cache (src/tenants/tenants.ts) must not grow with names nobody created: the endpoints that
// take a tenant name are unauthenticated, so every distinct unknown name is attacker-chosen. Known tenants
// stay cached (by slug and by id), and a tenant created after a miss is found at once.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTenant } from '../../src/db/repositories/tenants.js';
import { startTestApp, type TestApp } from '../support/app.js';

const unknownSlug = () => `nobody-${randomBytes(6).toString('hex')}`;

describe('tenant cache', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  test('unknown tenant names, over HTTP or not, add nothing to the cache', async () => {
    const { tenants } = t.app.services;
    await tenants.resolve(undefined);
    const known = tenants.size;
    assert.ok(known >= 1, 'the default tenant is cached');

    for (let i = 0; i < 300; i++) {
      const response = await t.get(`/t/${unknownSlug()}/v2/auth/config`);
      assert.equal(response.status, 404);
    }
    for (let i = 0; i < 300; i++) {
      const response = await t.get(`/v2/auth/config?tenant_id=${randomUUID()}`);
      assert.equal(response.status, 404);
    }
    for (let i = 0; i < 3000; i++) {
      await assert.rejects(tenants.resolve(unknownSlug()), { code: 'not_found' });
      assert.equal(await tenants.byId(randomUUID()), null);
    }
    assert.equal(tenants.size, known, 'misses are not remembered');
  });

  test('a known tenant is cached once per slug and once per id, whatever the case of the id', async () => {
    const { tenants } = t.app.services;
    await createTenant(t.db, 'cached', 'Cached');
    const tenant = await tenants.resolve('cached');
    const before = tenants.size;
    await tenants.resolve(tenant.id);
    assert.equal(tenants.size, before + 1, 'the id is a second entry');

    const variants = new Set<string>();
    for (let i = 0; variants.size < 20 && i < 1000; i++) {
      const variant = [...tenant.id].map((c) => (Math.random() < 0.5 ? c.toUpperCase() : c)).join('');
      if (variant !== tenant.id) variants.add(variant);
    }
    for (const variant of variants) assert.equal((await tenants.resolve(variant)).id, tenant.id);
    assert.equal(tenants.size, before + 1, 'an id written in upper case is the same entry');
  });

  test('hits stay cached until invalidated', async () => {
    const { tenants } = t.app.services;
    await createTenant(t.db, 'renamed', 'Old Name');
    assert.equal((await tenants.resolve('renamed')).name, 'Old Name');
    await t.db.query(`UPDATE tenants SET name = 'New Name' WHERE slug = 'renamed'`);
    assert.equal((await tenants.resolve('renamed')).name, 'Old Name', 'served from the cache');
    tenants.invalidate();
    assert.equal((await tenants.resolve('renamed')).name, 'New Name');
  });

  test('a tenant created right after a miss is found at once', async () => {
    const slug = unknownSlug();
    assert.equal((await t.get(`/t/${slug}/v2/auth/config`)).status, 404);
    // As `hellojohn tenants create` does it: from another process, with no message to this one.
    await createTenant(t.db, slug, 'Late');
    const found = await t.get(`/t/${slug}/v2/auth/config`);
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.equal((found.body.tenant as { slug: string }).slug, slug);
  });
});
