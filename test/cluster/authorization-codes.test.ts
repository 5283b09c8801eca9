// Authorization codes are sealed, not stored (src/oauth/authorization-codes.ts), so what a stored code gave
// must still hold: a code issued by instance A is redeemed on instance B; a code issued just before A
// restarts is redeemed on the restarted A; and a code sent to A and B at the same moment is redeemed once.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { AdminTokens } from '../../src/admin/admins.js';
import { openDatabase } from '../../src/db/open.js';
import { STRONG_PASSWORD, uniqueEmail } from '../support/app.js';
import { startServerProcess } from '../support/cli.js';
import { bearer, instance, startCluster, type Cluster, type Instance } from '../support/cluster.js';
import { unlessAvailable } from '../support/env.js';

const REDIRECT_URI = 'http://127.0.0.1:9/cb';

for (const via of ['direct', 'pgbouncer'] as const) {
  describe(
    `authorization codes across instances (${via})`,
    { skip: unlessAvailable({ postgres: true, pgbouncer: via === 'pgbouncer' }) },
    () => {
      let cluster: Cluster;
      let a: Instance, b: Instance;
      let client: { id: string; secret: string };
      let cookie: string;

      before(async () => {
        cluster = await startCluster(2, { via, env: { RATE_LIMIT_PER_IP: '10000' } });
        [a, b] = cluster.instances as [Instance, Instance];
        const db = await openDatabase(cluster.db.config(), pino({ level: 'silent' }));
        let admin: Record<string, string>;
        try {
          admin = bearer((await new AdminTokens(db).create('codes-ops@example.com')).token);
        } finally {
          await db.close();
        }
        const created = await a.post(
          '/v2/admin/tenants/default/clients',
          {
            name: 'Cluster RP',
            type: 'confidential',
            redirect_uris: [REDIRECT_URI],
            grant_types: ['authorization_code', 'refresh_token'],
            first_party: true,
          },
          admin,
        );
        assert.equal(created.status, 201, JSON.stringify(created.body));
        client = { id: created.body.client_id as string, secret: created.body.client_secret as string };
        const email = uniqueEmail('codes');
        assert.equal((await a.post('/v2/auth/register', { email, password: STRONG_PASSWORD })).status, 201);
        const login = await fetch(`${a.url}/v2/session/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: STRONG_PASSWORD }),
        });
        assert.equal(login.status, 200);
        cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
      });
      after(async () => {
        await cluster?.close();
      });

      /** An authorize request with the session cookie on `at`: the code and its PKCE verifier. */
      async function codeFrom(at: Instance): Promise<{ code: string; verifier: string }> {
        const verifier = randomBytes(32).toString('base64url');
        const query = new URLSearchParams({
          response_type: 'code',
          client_id: client.id,
          redirect_uri: REDIRECT_URI,
          scope: 'openid',
          state: 's',
          code_challenge: createHash('sha256').update(verifier).digest('base64url'),
          code_challenge_method: 'S256',
        });
        const answer = await fetch(`${at.url}/oauth2/authorize?${query.toString()}`, {
          headers: { cookie },
          redirect: 'manual',
        });
        const location = answer.headers.get('location') ?? '';
        const code = location.startsWith(REDIRECT_URI) ? new URL(location).searchParams.get('code') : null;
        assert.ok(code, `authorize on ${at.name} → ${answer.status} ${location}`);
        return { code, verifier };
      }

      function exchangeAt(url: string, code: string, verifier: string) {
        return fetch(`${url}/oauth2/token`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: REDIRECT_URI,
            code_verifier: verifier,
          }),
        });
      }

      test('a code issued by A is redeemed on B', async () => {
        const { code, verifier } = await codeFrom(a);
        const answer = await exchangeAt(b.url, code, verifier);
        const body = (await answer.json()) as Record<string, unknown>;
        assert.equal(answer.status, 200, JSON.stringify(body));
        assert.equal(typeof body.id_token, 'string');
        assert.equal(typeof body.refresh_token, 'string');
      });

      test('one code sent to two instances at once is redeemed once', async () => {
        const { code, verifier } = await codeFrom(b);
        const answers = await Promise.all(
          [a, b, a, b].map(async (at, n) => {
            const response = await exchangeAt(at.url, code, verifier);
            return { n, status: response.status, body: (await response.json()) as Record<string, unknown> };
          }),
        );
        assert.equal(answers.filter((x) => x.status === 200).length, 1, JSON.stringify(answers));
        for (const x of answers.filter((y) => y.status !== 200)) assert.equal(x.body.error, 'invalid_grant');
      });
      test('a code issued just before A restarts is redeemed on the restarted A', async () => {
        const { code, verifier } = await codeFrom(a);
        await a.server.stop();
        const restarted = instance(
          'A2',
          await startServerProcess({ ...cluster.env, MIGRATE_ON_START: 'false' }),
        );
        try {
          const answer = await exchangeAt(restarted.url, code, verifier);
          assert.equal(answer.status, 200, await answer.text());
        } finally {
          await restarted.server.stop();
        }
      });
    },
  );
}
