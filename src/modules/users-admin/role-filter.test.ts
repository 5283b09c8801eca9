// The users list filtered by role (CoreServices.userRoles, which the rbac module provides): only holders,
// page by page without a user skipped or repeated, combined with other filters; a build without a roles
// provider refuses the filter (and an invitation with roles) with a 400 that says why.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../../test/support/app.js';
import { startOidcApp, type OidcTestApp } from '../../../test/support/oidc.js';
import { featureModules } from '../index.js';

describe('users list: ?role=', () => {
  let t: OidcTestApp;
  let admin: Record<string, string>;
  before(async () => {
    t = await startOidcApp();
    admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
  });
  after(() => t.close());

  test('only the holders, a page at a time, none skipped or repeated; with another filter', async () => {
    const base = '/v2/admin/tenants/default';
    assert.equal((await t.post(`${base}/roles`, { name: 'auditor' }, admin)).status, 201);
    assert.equal((await t.post(`${base}/roles`, { name: 'other' }, admin)).status, 201);
    const holders: string[] = [];
    for (let i = 0; i < 7; i++) {
      const email = `role-${i}.${process.pid}@example.com`;
      const created = await t.post(`${base}/users`, { email, email_verified: i % 2 === 0 }, admin);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id as string;
      const role = i % 3 === 0 ? 'other' : 'auditor';
      assert.equal((await t.post(`${base}/users/${id}/roles`, { roles: [role] }, admin)).status, 200);
      if (role === 'auditor') holders.push(id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await t.get(
        `${base}/users?role=auditor&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        admin,
      );
      assert.equal(page.status, 200, JSON.stringify(page.body));
      seen.push(...(page.body.users as { id: string }[]).map((u) => u.id));
      cursor = page.body.next_cursor as string | null;
      pages++;
    } while (cursor);
    assert.equal(pages, 2, 'four holders, two a page');
    assert.deepEqual([...seen].sort(), [...holders].sort());
    assert.equal(new Set(seen).size, seen.length);

    const verified = await t.get(`${base}/users?role=auditor&verified=true`, admin);
    const verifiedIds = (verified.body.users as { id: string; email_verified: boolean }[]).map((u) => {
      assert.equal(u.email_verified, true);
      return u.id;
    });
    assert.ok(verifiedIds.length > 0 && verifiedIds.every((id) => holders.includes(id)));
    const none = await t.get(`${base}/users?role=nobody`, admin);
    assert.deepEqual(none.body.users, []);
    assert.equal((await t.get(`${base}/users?role=`, admin)).status, 400);
  });
});

describe('a build without roles', () => {
  let t: TestApp;
  let admin: Record<string, string>;
  before(async () => {
    t = await startTestApp({}, { modules: featureModules.filter((m) => m.id !== 'rbac') });
    admin = { authorization: `Bearer ${(await t.app.services.admins.create('root@example.com')).token}` };
  });
  after(() => t.close());

  test('?role= and an invitation with roles are 400s that say there are no roles', async () => {
    const list = await t.get('/v2/admin/tenants/default/users?role=auditor', admin);
    assert.equal(list.status, 400);
    assert.equal(list.body.error, 'invalid_request');
    assert.match(list.body.error_description as string, /no roles/);
    assert.equal((await t.get('/v2/admin/tenants/default/users', admin)).status, 200);
    const invitation = await t.post(
      '/v2/admin/tenants/default/invitations',
      { email: `no-roles.${process.pid}@example.com`, roles: ['auditor'], send_email: false },
      admin,
    );
    assert.equal(invitation.status, 400);
    assert.match(invitation.body.error_description as string, /no roles/);
  });
});
