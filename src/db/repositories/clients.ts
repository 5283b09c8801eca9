import type { Queryable } from '../database.js';

export interface ClientRow {
  id: string;
  tenant_id: string;
  client_id: string;
  name: string;
  type: string;
  secret_hash: Buffer | null;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: string;
  scopes: string[];
  first_party: boolean;
  id_token_signed_response_alg: string;
  jwks: { keys: object[] } | null;
  resource_server: boolean;
  token_endpoint_auth_strict: boolean;
  default_acr_values: string[];
  created_at: Date;
  updated_at: Date;
}

export interface NewClientRow {
  tenantId: string;
  clientId: string;
  name: string;
  type: string;
  secretHash: Buffer | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  responseTypes: string[];
  tokenEndpointAuthMethod: string;
  scopes: string[];
  firstParty: boolean;
  idTokenSignedResponseAlg: string;
  jwks: { keys: object[] } | null;
  resourceServer: boolean;
  tokenEndpointAuthStrict: boolean;
  defaultAcrValues: string[];
}

const COLUMNS = `id, tenant_id, client_id, name, type, secret_hash, redirect_uris, post_logout_redirect_uris,
  grant_types, response_types, token_endpoint_auth_method, scopes, first_party, id_token_signed_response_alg,
  jwks, resource_server, token_endpoint_auth_strict, default_acr_values, created_at, updated_at`;

/** Inserts a client; null when its client_id is taken (client ids are unique across tenants). */
export async function insertClient(db: Queryable, client: NewClientRow): Promise<ClientRow | null> {
  const result = await db.query<ClientRow>(
    `INSERT INTO clients (tenant_id, client_id, name, type, secret_hash, redirect_uris, post_logout_redirect_uris,
       grant_types, response_types, token_endpoint_auth_method, scopes, first_party, id_token_signed_response_alg, jwks,
       resource_server, token_endpoint_auth_strict, default_acr_values)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
     ON CONFLICT (client_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      client.tenantId,
      client.clientId,
      client.name,
      client.type,
      client.secretHash,
      client.redirectUris,
      client.postLogoutRedirectUris,
      client.grantTypes,
      client.responseTypes,
      client.tokenEndpointAuthMethod,
      client.scopes,
      client.firstParty,
      client.idTokenSignedResponseAlg,
      client.jwks === null ? null : JSON.stringify(client.jwks),
      client.resourceServer,
      client.tokenEndpointAuthStrict,
      client.defaultAcrValues,
    ],
  );
  return result.rows[0] ?? null;
}

export async function listClients(db: Queryable, tenantId: string): Promise<ClientRow[]> {
  const result = await db.query<ClientRow>(
    `SELECT ${COLUMNS} FROM clients WHERE tenant_id = $1 ORDER BY created_at, client_id`,
    [tenantId],
  );
  return result.rows;
}

export async function findClient(
  db: Queryable,
  tenantId: string,
  clientId: string,
): Promise<ClientRow | null> {
  const result = await db.query<ClientRow>(
    `SELECT ${COLUMNS} FROM clients WHERE tenant_id = $1 AND client_id = $2`,
    [tenantId, clientId],
  );
  return result.rows[0] ?? null;
}

/** A client by its client_id alone, whichever tenant it belongs to. */
export async function findClientAnyTenant(db: Queryable, clientId: string): Promise<ClientRow | null> {
  const result = await db.query<ClientRow>(`SELECT ${COLUMNS} FROM clients WHERE client_id = $1`, [clientId]);
  return result.rows[0] ?? null;
}

/** Sets the members given (an absent one keeps its value); null when no such client. */
export async function updateClientSettings(
  db: Queryable,
  tenantId: string,
  clientId: string,
  settings: {
    name?: string;
    redirectUris?: string[];
    postLogoutRedirectUris?: string[];
    resourceServer?: boolean;
    tokenEndpointAuthStrict?: boolean;
    defaultAcrValues?: string[];
  },
): Promise<ClientRow | null> {
  const result = await db.query<ClientRow>(
    `UPDATE clients SET resource_server = coalesce($3, resource_server),
            token_endpoint_auth_strict = coalesce($4, token_endpoint_auth_strict),
            default_acr_values = coalesce($5, default_acr_values), name = coalesce($6, name),
            redirect_uris = coalesce($7, redirect_uris),
            post_logout_redirect_uris = coalesce($8, post_logout_redirect_uris), updated_at = now()
      WHERE tenant_id = $1 AND client_id = $2
      RETURNING ${COLUMNS}`,
    [
      tenantId,
      clientId,
      settings.resourceServer ?? null,
      settings.tokenEndpointAuthStrict ?? null,
      settings.defaultAcrValues ?? null,
      settings.name ?? null,
      settings.redirectUris ?? null,
      settings.postLogoutRedirectUris ?? null,
    ],
  );
  return result.rows[0] ?? null;
}

/** Replaces the secret hash of a confidential client; null when no such client (or it is public). */
export async function updateClientSecret(
  db: Queryable,
  tenantId: string,
  clientId: string,
  secretHash: Buffer,
): Promise<ClientRow | null> {
  const result = await db.query<ClientRow>(
    `UPDATE clients SET secret_hash = $3, updated_at = now()
      WHERE tenant_id = $1 AND client_id = $2 AND type = 'confidential'
      RETURNING ${COLUMNS}`,
    [tenantId, clientId, secretHash],
  );
  return result.rows[0] ?? null;
}

/**
 * Deletes a client and what was issued to it: its OAuth sessions (their refresh tokens go with them, and
 * so do the access tokens, which name their session), its authorization codes and the consents given
 * to it. Null when no such client; else the ids of the sessions deleted, for the caches. Spent assertion
 * ids (client_assertion_jtis) stay until they expire: a client recreated with the same id and keys must
 * not accept an old assertion again.
 */
export async function deleteClient(
  db: Queryable,
  tenantId: string,
  clientId: string,
): Promise<string[] | null> {
  const deleted = await db.query('DELETE FROM clients WHERE tenant_id = $1 AND client_id = $2 RETURNING id', [
    tenantId,
    clientId,
  ]);
  if (deleted.rows.length === 0) return null;
  const sessions = await db.query<{ id: string }>(
    'DELETE FROM sessions WHERE tenant_id = $1 AND client_id = $2 RETURNING id',
    [tenantId, clientId],
  );
  await db.query('DELETE FROM refresh_tokens WHERE tenant_id = $1 AND client_id = $2', [tenantId, clientId]);
  await db.query('DELETE FROM authorization_codes WHERE tenant_id = $1 AND client_id = $2', [
    tenantId,
    clientId,
  ]);
  await db.query('DELETE FROM consents WHERE tenant_id = $1 AND client_id = $2', [tenantId, clientId]);
  return sessions.rows.map((row) => row.id);
}
