// Refresh-token rotation reads a constant number of rows, however many sessions there are, and whatever
// the planner knows about the tables. A database without statistics (new, or just restored with
// pg_restore) once made the rotation start from sessions and probe the token index for each of them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { hashToken } from '../../src/crypto/tokens.js';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../support/app.js';
import { urlFor } from '../support/db.js';
import { ADMIN_URL, unlessAvailable } from '../support/env.js';

const SESSIONS = 400;
const ROTATIONS = 12; // past the 5 custom plans after which PL/pgSQL may settle on a generic one

let t: TestApp;
before(async () => {
  if (!ADMIN_URL) return;
  t = await startTestApp();
});
after(async () => {
  await t?.close();
});

test(
  'a rotation reads the token and its session by key, not every session (no statistics on the tables)',
  { skip: unlessAvailable({ postgres: true }) },
  async () => {
    const registered = await t.post('/v2/auth/register', {
      email: uniqueEmail('plan'),
      password: STRONG_PASSWORD,
    });
    assert.equal(registered.status, 201);
    const db = new pg.Client({ connectionString: urlFor(ADMIN_URL!, t.testDb.name!) });
    await db.connect();
    try {
      // Many live sessions of other users, each with a live refresh token; no ANALYZE has run.
      // Set up over another connection: the measuring one must carry no counts of its own but the rotations'.
      await t.testDb.sql(
        `WITH s AS (
           INSERT INTO sessions (tenant_id, user_id, kind, amr, idle_expires_at, expires_at)
           SELECT tenant_id, user_id, kind, amr, idle_expires_at, expires_at FROM sessions, generate_series(1, $1)
           RETURNING id, tenant_id, expires_at
         )
         INSERT INTO refresh_tokens (tenant_id, session_id, token_hash, expires_at)
         SELECT tenant_id, id, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), expires_at FROM s`,
        [SESSIONS],
      );
      const rows = await t.testDb.sql<{ analyzed: boolean }>(
        `SELECT bool_or(last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL) AS analyzed
           FROM pg_stat_user_tables WHERE relname IN ('sessions', 'refresh_tokens')`,
      );
      assert.equal(rows[0]?.analyzed, false, 'the tables have no statistics yet');

      // Rotate a chain of tokens in one transaction, then read what it scanned (pg_stat_xact_*: this
      // transaction's own counts), and roll it all back.
      const tenantId = String((registered.body.user as { tenant_id: string }).tenant_id);
      await db.query('BEGIN');
      let current = hashToken(String(registered.body.refresh_token));
      for (let i = 0; i < ROTATIONS; i++) {
        const next = Buffer.from(`${i}`.padEnd(32, 'x'));
        const rotated = await db.query(
          `SELECT * FROM hellojohn_rotate_refresh_token($1, $2, $3, NULL, 3600000, 3600000)`,
          [tenantId, current, next],
        );
        assert.equal(rotated.rows.length, 1, `rotation ${i} succeeded`);
        current = next;
      }
      const scans = await db.query<{ relname: string; seq: string; read: string }>(
        `SELECT relname, seq_scan AS seq, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) AS read
           FROM pg_stat_xact_user_tables WHERE relname IN ('sessions', 'refresh_tokens', 'users')`,
      );
      await db.query('ROLLBACK');
      assert.equal(scans.rows.length, 3);
      for (const row of scans.rows) {
        // users holds one row here, so reading it whole is as cheap as by key; the big tables must not be.
        if (row.relname !== 'users') assert.equal(Number(row.seq), 0, `${row.relname}: no sequential scan`);
        assert.ok(
          Number(row.read) <= ROTATIONS * 4,
          `${row.relname}: ${row.read} rows read for ${ROTATIONS} rotations among ${SESSIONS} sessions`,
        );
      }
    } finally {
      await db.end();
    }
  },
);
