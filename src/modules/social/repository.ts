// The social tables. Every statement names the tenant. Linking is decided by the unique keys (one user
// per provider account, one account of each provider per user), so two parallel first sign-ins cannot
// both link; an exchange code is spent by the DELETE that reads it.
import type { Queryable } from '../../db/database.js';

export interface ProviderRow {
  tenant_id: string;
  id: string;
  kind: string;
  label: string | null;
  client_id: string;
  client_secret_sealed: Buffer | null;
  scopes: string[];
  issuer: string | null;
  options: Record<string, unknown>;
  auto_link: boolean;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const PROVIDER_COLUMNS =
  'tenant_id, id, kind, label, client_id, client_secret_sealed, scopes, issuer, options, auto_link, enabled, created_at, updated_at';

export async function listProviders(db: Queryable, tenantId: string): Promise<ProviderRow[]> {
  const result = await db.query<ProviderRow>(
    `SELECT ${PROVIDER_COLUMNS} FROM social_providers WHERE tenant_id = $1 ORDER BY created_at, id`,
    [tenantId],
  );
  return result.rows;
}

export async function findProvider(db: Queryable, tenantId: string, id: string): Promise<ProviderRow | null> {
  const result = await db.query<ProviderRow>(
    `SELECT ${PROVIDER_COLUMNS} FROM social_providers WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id],
  );
  return result.rows[0] ?? null;
}

/** Creates or replaces a provider; `secretSealed` undefined keeps the stored secret. */
export async function saveProvider(
  db: Queryable,
  row: Omit<ProviderRow, 'client_secret_sealed' | 'created_at' | 'updated_at'> & {
    secretSealed: Buffer | null | undefined;
  },
): Promise<ProviderRow> {
  const keep = row.secretSealed === undefined;
  const result = await db.query<ProviderRow>(
    `INSERT INTO social_providers (tenant_id, id, kind, label, client_id, client_secret_sealed, scopes, issuer,
                                   options, auto_link, enabled)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)
     ON CONFLICT (tenant_id, id) DO UPDATE
        SET kind = EXCLUDED.kind, label = EXCLUDED.label, client_id = EXCLUDED.client_id,
            client_secret_sealed = CASE WHEN $12 THEN social_providers.client_secret_sealed
                                        ELSE EXCLUDED.client_secret_sealed END,
            scopes = EXCLUDED.scopes, issuer = EXCLUDED.issuer, options = EXCLUDED.options,
            auto_link = EXCLUDED.auto_link, enabled = EXCLUDED.enabled, updated_at = now()
     RETURNING ${PROVIDER_COLUMNS}`,
    [
      row.tenant_id,
      row.id,
      row.kind,
      row.label,
      row.client_id,
      row.secretSealed ?? null,
      row.scopes,
      row.issuer,
      JSON.stringify(row.options),
      row.auto_link,
      row.enabled,
      keep,
    ],
  );
  return result.rows[0]!;
}

export async function deleteProvider(db: Queryable, tenantId: string, id: string): Promise<boolean> {
  const result = await db.query('DELETE FROM social_providers WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    id,
  ]);
  return result.rowCount > 0;
}

export interface IdentityRow {
  id: string;
  user_id: string;
  provider: string;
  subject: string;
  email: string | null;
  created_at: Date;
  last_used_at: Date | null;
}

const IDENTITY_COLUMNS = 'id, user_id, provider, subject, email, created_at, last_used_at';

export async function listIdentities(
  db: Queryable,
  tenantId: string,
  userId: string,
): Promise<IdentityRow[]> {
  const result = await db.query<IdentityRow>(
    `SELECT ${IDENTITY_COLUMNS} FROM social_identities WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at`,
    [tenantId, userId],
  );
  return result.rows;
}

/** The identity of a provider's user, marked used (and its email refreshed). */
export async function useIdentity(
  db: Queryable,
  tenantId: string,
  provider: string,
  subject: string,
  email: string | null,
): Promise<IdentityRow | null> {
  const result = await db.query<IdentityRow>(
    `UPDATE social_identities SET last_used_at = now(), email = COALESCE($4, email)
      WHERE tenant_id = $1 AND provider = $2 AND subject = $3
     RETURNING ${IDENTITY_COLUMNS}`,
    [tenantId, provider, subject, email],
  );
  return result.rows[0] ?? null;
}

/**
 * Links a provider's user to a user; null when that provider account is linked already (to anyone) or the
 * user has an account of this provider.
 */
export async function insertIdentity(
  db: Queryable,
  identity: { tenantId: string; userId: string; provider: string; subject: string; email: string | null },
): Promise<IdentityRow | null> {
  const result = await db.query<IdentityRow>(
    `INSERT INTO social_identities (tenant_id, user_id, provider, subject, email, last_used_at)
     VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT DO NOTHING
     RETURNING ${IDENTITY_COLUMNS}`,
    [identity.tenantId, identity.userId, identity.provider, identity.subject, identity.email],
  );
  return result.rows[0] ?? null;
}

export async function deleteIdentity(
  db: Queryable,
  tenantId: string,
  userId: string,
  provider: string,
): Promise<IdentityRow | null> {
  const result = await db.query<IdentityRow>(
    `DELETE FROM social_identities WHERE tenant_id = $1 AND user_id = $2 AND provider = $3
     RETURNING ${IDENTITY_COLUMNS}`,
    [tenantId, userId, provider],
  );
  return result.rows[0] ?? null;
}

export interface ExchangeCodeRow {
  user_id: string;
  provider: string;
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  live: boolean;
}

export async function insertExchangeCode(
  db: Queryable,
  code: {
    codeHash: Buffer;
    tenantId: string;
    userId: string;
    provider: string;
    clientId: string;
    redirectUri: string;
    codeChallenge: string;
    ttlMs: number;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO social_exchange_codes (code_hash, tenant_id, user_id, provider, client_id, redirect_uri,
                                        code_challenge, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8 * interval '1 millisecond')`,
    [
      code.codeHash,
      code.tenantId,
      code.userId,
      code.provider,
      code.clientId,
      code.redirectUri,
      code.codeChallenge,
      code.ttlMs,
    ],
  );
}

/** Spends a live code: deleted as it is read, so it works once whatever follows. */
export async function takeExchangeCode(
  db: Queryable,
  tenantId: string,
  codeHash: Buffer,
): Promise<ExchangeCodeRow | null> {
  const result = await db.query<ExchangeCodeRow>(
    `DELETE FROM social_exchange_codes WHERE code_hash = $1 AND tenant_id = $2
     RETURNING user_id, provider, client_id, redirect_uri, code_challenge, expires_at > now() AS live`,
    [codeHash, tenantId],
  );
  const row = result.rows[0];
  return row?.live ? row : null;
}

/** Removes up to `limit` expired codes (the sweeper). */
/** A deleted client's unspent exchange codes (ModuleParts.hooks.clientDeleted). */
export async function deleteClientExchangeCodes(
  db: Queryable,
  tenantId: string,
  clientId: string,
): Promise<void> {
  await db.query('DELETE FROM social_exchange_codes WHERE tenant_id = $1 AND client_id = $2', [
    tenantId,
    clientId,
  ]);
}

export async function deleteExpiredExchangeCodes(db: Queryable, limit: number): Promise<number> {
  const result = await db.query(
    `DELETE FROM social_exchange_codes WHERE code_hash IN (
       SELECT code_hash FROM social_exchange_codes WHERE expires_at < now() LIMIT $1)`,
    [limit],
  );
  return result.rowCount;
}

/** The user's linked accounts for a data export (ModuleParts.userExport): never an exchange code's hash. */
export async function exportSocialData(db: Queryable, tenantId: string, userId: string) {
  const rows = await db.query(
    `SELECT id, provider, subject, email, created_at, last_used_at
       FROM social_identities WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at`,
    [tenantId, userId],
  );
  return { identities: rows.rows };
}
