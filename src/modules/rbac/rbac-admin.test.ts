// The access-control admin API: every route answers its success, refuses without the admin token (401),
// refuses invalid input with its documented 4xx, and keeps system roles; every change is audited with
// the admin. Real HTTP on PostgreSQL or PGlite.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startOidcApp, type OidcTestApp, type TestClient } from '../../../test/support/oidc.js';
import { insertRole, userIdsWithRole } from './repository.js';

const API = 'https://api.example.com/orders';

describe('RBAC and API resources: admin API', () => {
  let t: OidcTestApp;
  let admin: Record<string, string>;
  let adminId: string;
  let tenantId: string;
  let userId: string;
  let appClient: TestClient;
  let resourceId: string;

  const call = async (method: string, path: string, body?: unknown, headers = admin) => {
    const response = await fetch(`${t.base}/v2/admin/tenants/default${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const expectError = async (
    answer: Promise<{ status: number; body: Record<string, unknown> }>,
    status: number,
    error: string,
    mentions?: RegExp,
  ) => {
    const { status: got, body } = await answer;
    assert.equal(got, status, JSON.stringify(body));
    assert.equal(body.error, error, JSON.stringify(body));
    assert.equal(typeof body.error_description, 'string');
    if (mentions) assert.match(body.error_description as string, mentions);
  };
  const lastAudit = async (type: string) => {
    const rows = await t.db.query<{ data: Record<string, unknown>; user_id: string | null }>(
      `SELECT data, user_id FROM audit_events WHERE tenant_id = $1 AND type = $2 ORDER BY created_at DESC, id DESC LIMIT 1`,
      [tenantId, type],
    );
    assert.ok(rows.rows[0], `an audit event ${type}`);
    return rows.rows[0];
  };

  before(async () => {
    t = await startOidcApp();
    const created = await t.app.services.admins.create('root@example.com');
    admin = { authorization: `Bearer ${created.token}` };
    adminId = (await t.get('/v2/admin/me', admin)).body.admin_id as string;
    tenantId = (await t.app.services.tenants.resolve('default')).id;
    const user = await t.createUser();
    userId = (await t.get('/v2/me', { authorization: `Bearer ${user.accessToken!}` })).body.id as string;
    assert.ok(userId);
    appClient = await t.createClient();
  });
  after(() => t.close());

  test('resources: create, read, list, change, permissions, clients, delete', async () => {
    const created = await call('POST', '/resources', {
      identifier: API,
      name: 'Orders',
      permissions: ['read:orders', 'read:orders', 'write:orders'],
      access_token_ttl: 600,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    resourceId = created.body.id as string;
    assert.deepEqual(created.body.permissions, ['read:orders', 'write:orders']);
    assert.equal(created.body.access_token_ttl, 600);
    const audit = await lastAudit('resource.created');
    assert.equal(audit.data.admin_id, adminId);
    assert.equal(audit.data.via, 'admin_api');

    assert.equal((await call('GET', `/resources/${resourceId}`)).body.identifier, API);
    const listed = await call('GET', '/resources');
    assert.equal(listed.status, 200);
    assert.deepEqual(
      (listed.body.resources as { identifier: string }[]).map((r) => r.identifier),
      [API],
    );

    const added = await call('POST', `/resources/${resourceId}/permissions`, {
      permissions: ['delete:orders'],
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(added.body.permissions, ['read:orders', 'write:orders', 'delete:orders']);

    const allowed = await call('PUT', `/resources/${resourceId}/clients/${appClient.clientId}`, {
      permissions: ['read:orders', 'delete:orders'],
    });
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    assert.deepEqual(allowed.body.permissions, ['read:orders', 'delete:orders']);
    assert.equal((await lastAudit('resource.client_allowed')).data.client_id, appClient.clientId);

    // A permission removed from the resource leaves every client (and role) holding it.
    const removed = await call('DELETE', `/resources/${resourceId}/permissions`, {
      permissions: ['delete:orders'],
    });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(removed.body.permissions, ['read:orders', 'write:orders']);
    assert.deepEqual((removed.body.clients as { permissions: string[] }[])[0]!.permissions, ['read:orders']);

    const changed = await call('PUT', `/resources/${resourceId}`, {
      name: 'Orders API',
      permissions: ['read:orders', 'write:orders'],
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.name, 'Orders API');
    assert.equal(changed.body.access_token_ttl, null);

    const other = await call('POST', '/resources', { identifier: 'urn:example:scratch', name: 'Scratch' });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const otherId = other.body.id as string;
    assert.equal((await call('PUT', `/resources/${otherId}/clients/${appClient.clientId}`, {})).status, 200);
    assert.equal((await call('DELETE', `/resources/${otherId}/clients/${appClient.clientId}`)).status, 204);
    await expectError(
      call('DELETE', `/resources/${otherId}/clients/${appClient.clientId}`),
      404,
      'not_found',
    );
    assert.equal((await call('DELETE', `/resources/${otherId}`)).status, 204);
    await expectError(call('GET', `/resources/${otherId}`), 404, 'not_found');
    assert.equal((await lastAudit('resource.deleted')).data.identifier, 'urn:example:scratch');
  });

  test('resources: identifiers that are not an API of its own are refused', async () => {
    const own = t.issuer();
    const host = new URL(own).host;
    for (const [identifier, mentions] of [
      ['http://api.example.com/x', /https/],
      ['https://api.example.com/x#frag', /fragment/],
      ['api.example.com', /absolute/],
      ['/relative', /absolute/],
      [`https://${host}`, /own address/],
      [`https://${host}/userinfo`, /own address/],
      [`https://${host}/t/other/api`, /own address/],
      ['urn:', /URN/],
      ['https://user:pw@api.example.com/', /user name/],
    ] as const) {
      await expectError(
        call('POST', '/resources', { identifier, name: 'x' }),
        400,
        'invalid_request',
        mentions,
      );
    }
    await expectError(
      call('POST', '/resources', { identifier: 'urn:example:y', name: 'y', permissions: ['openid'] }),
      400,
      'invalid_request',
      /OpenID Connect/,
    );
    await expectError(
      call('POST', '/resources', { identifier: 'urn:example:y', name: 'y', permissions: ['has space'] }),
      400,
      'invalid_request',
    );
    await expectError(
      call('POST', '/resources', { identifier: 'urn:example:y', name: 'y', access_token_ttl: 5 }),
      400,
      'invalid_request',
    );
    await expectError(call('POST', '/resources', { identifier: API, name: 'again' }), 409, 'conflict');
    await expectError(call('GET', '/resources/not-a-uuid'), 400, 'invalid_request');
    await expectError(
      call('PUT', `/resources/${resourceId}/clients/no-such-client`, { permissions: [] }),
      404,
      'not_found',
    );
    await expectError(
      call('PUT', `/resources/${resourceId}/clients/${appClient.clientId}`, { permissions: ['fly:orders'] }),
      400,
      'invalid_request',
      /fly:orders/,
    );
    await expectError(
      call('POST', `/resources/${resourceId}/permissions`, { permissions: [] }),
      400,
      'invalid_request',
    );
  });

  test('roles: create, read, list, rename, permissions, users, delete', async () => {
    const created = await call('POST', '/roles', { name: 'clerk', description: 'Front office' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.system, false);
    assert.equal((await lastAudit('role.created')).data.admin_id, adminId);

    const granted = await call('POST', '/roles/clerk/permissions', {
      permissions: [{ resource: API, permission: 'read:orders' }],
    });
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.deepEqual(granted.body.permissions, [{ resource: API, permission: 'read:orders' }]);

    const renamed = await call('PUT', '/roles/clerk', { name: 'cashier', description: null });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.name, 'cashier');
    assert.equal(renamed.body.description, null);
    assert.equal((await lastAudit('role.updated')).data.renamed_from, 'clerk');
    await expectError(call('GET', '/roles/clerk'), 404, 'not_found');
    assert.equal((await call('GET', '/roles/cashier')).status, 200);
    assert.deepEqual(
      ((await call('GET', '/roles')).body.roles as { name: string }[]).map((r) => r.name),
      ['cashier'],
    );

    const given = await call('POST', `/users/${userId}/roles`, { roles: ['cashier'] });
    assert.equal(given.status, 200, JSON.stringify(given.body));
    assert.deepEqual(
      (given.body.roles as { name: string }[]).map((r) => r.name),
      ['cashier'],
    );
    const audit = await lastAudit('user.roles_added');
    assert.equal(audit.user_id, userId);
    assert.equal(audit.data.admin_id, adminId);
    assert.deepEqual(
      ((await call('GET', `/users/${userId}/roles`)).body.roles as { name: string }[]).map((r) => r.name),
      ['cashier'],
    );
    // The filter other features use: the users holding a role.
    assert.deepEqual(await userIdsWithRole(t.db, tenantId, 'cashier'), [userId]);

    const without = await call('DELETE', '/roles/cashier/permissions', {
      permissions: [{ resource: API, permission: 'read:orders' }],
    });
    assert.equal(without.status, 200, JSON.stringify(without.body));
    assert.deepEqual(without.body.permissions, []);

    const taken = await call('DELETE', `/users/${userId}/roles`, { roles: ['cashier'] });
    assert.equal(taken.status, 200);
    assert.deepEqual(taken.body.roles, []);
    assert.equal((await call('DELETE', '/roles/cashier')).status, 204);
    await expectError(call('DELETE', '/roles/cashier'), 404, 'not_found');
  });

  test('roles: invalid input is refused with its 4xx', async () => {
    assert.equal((await call('POST', '/roles', { name: 'auditor' })).status, 201);
    await expectError(call('POST', '/roles', { name: 'auditor' }), 409, 'conflict');
    await expectError(call('POST', '/roles', { name: 'has space' }), 400, 'invalid_request');
    await expectError(call('POST', '/roles', { name: '' }), 400, 'invalid_request');
    await expectError(call('POST', '/roles', {}), 400, 'invalid_request');
    assert.equal((await call('POST', '/roles', { name: 'viewer' })).status, 201);
    await expectError(call('PUT', '/roles/viewer', { name: 'auditor' }), 409, 'conflict');
    await expectError(
      call('POST', '/roles/auditor/permissions', {
        permissions: [{ resource: API, permission: 'fly:orders' }],
      }),
      400,
      'invalid_request',
      /not a permission/,
    );
    await expectError(
      call('POST', '/roles/auditor/permissions', {
        permissions: [{ resource: 'https://nowhere.example.com', permission: 'read:orders' }],
      }),
      400,
      'invalid_request',
      /No resource/,
    );
    await expectError(
      call('POST', '/roles/auditor/permissions', { permissions: [] }),
      400,
      'invalid_request',
    );
    await expectError(
      call('POST', '/roles/nobody/permissions', {
        permissions: [{ resource: API, permission: 'read:orders' }],
      }),
      404,
      'not_found',
    );
    await expectError(
      call('POST', `/users/${userId}/roles`, { roles: ['ghost'] }),
      400,
      'invalid_request',
      /ghost/,
    );
    await expectError(call('POST', `/users/${userId}/roles`, { roles: [] }), 400, 'invalid_request');
    await expectError(
      call('POST', '/users/00000000-0000-4000-8000-000000000000/roles', { roles: ['auditor'] }),
      404,
      'not_found',
    );
    await expectError(call('GET', '/users/00000000-0000-4000-8000-000000000000/roles'), 404, 'not_found');
    await expectError(call('GET', '/users/not-a-uuid/roles'), 400, 'invalid_request');
  });

  test('a system role cannot be renamed or deleted through the admin API', async () => {
    await insertRole(t.db, tenantId, { name: 'owner', description: 'Seeded', system: true });
    const role = await call('GET', '/roles/owner');
    assert.equal(role.body.system, true);
    await expectError(call('DELETE', '/roles/owner'), 403, 'access_denied', /system role/);
    await expectError(call('PUT', '/roles/owner', { name: 'boss' }), 403, 'access_denied', /system role/);
    // Its description and permissions may change.
    const described = await call('PUT', '/roles/owner', { name: 'owner', description: 'Everything' });
    assert.equal(described.status, 200, JSON.stringify(described.body));
    const granted = await call('POST', '/roles/owner/permissions', {
      permissions: [{ resource: API, permission: 'write:orders' }],
    });
    assert.equal(granted.status, 200);
    assert.equal((await call('GET', '/roles/owner')).body.name, 'owner');
  });

  test('every route needs the admin token', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/roles'],
      ['POST', '/roles', { name: 'x' }],
      ['GET', '/roles/owner'],
      ['PUT', '/roles/owner', { name: 'owner' }],
      ['DELETE', '/roles/auditor'],
      ['POST', '/roles/auditor/permissions', { permissions: [{ resource: API, permission: 'read:orders' }] }],
      [
        'DELETE',
        '/roles/auditor/permissions',
        { permissions: [{ resource: API, permission: 'read:orders' }] },
      ],
      ['GET', `/users/${userId}/roles`],
      ['POST', `/users/${userId}/roles`, { roles: ['auditor'] }],
      ['DELETE', `/users/${userId}/roles`, { roles: ['auditor'] }],
      ['GET', '/resources'],
      ['POST', '/resources', { identifier: 'urn:example:z', name: 'z' }],
      ['GET', `/resources/${resourceId}`],
      ['PUT', `/resources/${resourceId}`, { name: 'x', permissions: [] }],
      ['DELETE', `/resources/${resourceId}`],
      ['POST', `/resources/${resourceId}/permissions`, { permissions: ['a:b'] }],
      ['DELETE', `/resources/${resourceId}/permissions`, { permissions: ['read:orders'] }],
      ['PUT', `/resources/${resourceId}/clients/${appClient.clientId}`, {}],
      ['DELETE', `/resources/${resourceId}/clients/${appClient.clientId}`],
    ];
    for (const [method, path, body] of routes) {
      for (const headers of [{}, { authorization: 'Bearer not-an-admin-token' }] as Record<
        string,
        string
      >[]) {
        const answer = await call(method, path, body, headers);
        assert.equal(answer.status, 401, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      }
    }
    // Nothing changed.
    assert.equal((await call('GET', `/resources/${resourceId}`)).body.name, 'Orders API');
    assert.equal((await call('GET', '/roles/auditor')).status, 200);
  });
});
