// What the first-party API shows of users, sessions and tokens: the shapes routes send, built from rows.
import type { ListedSessionRow } from '../db/repositories/sessions.js';
import type { UserRow } from '../db/repositories/users.js';

/** Who is asking, as far as audit events and rate limits need to know. */
export interface RequestMeta {
  ip: string;
  userAgent: string | null;
  /** The request's cookies, for modules that recognise a browser (a trusted device); never audited. */
  cookies?: Readonly<Record<string, string | undefined>>;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

export interface PublicUser {
  id: string;
  tenant_id: string;
  email: string;
  email_verified: boolean;
  name: string | null;
  created_at: string;
  last_login_at: string | null;
}

export interface PublicSession {
  id: string;
  kind: 'api' | 'browser';
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  current: boolean;
  /** The OAuth client this session was issued to (null: the first-party API or a browser). */
  client_id: string | null;
  /** An offline grant (offline_access): it outlives the browser session it was started from. */
  offline: boolean;
}

export function tokenResponse(accessToken: string, refreshToken: string, expiresIn: number): TokenResponse {
  return {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: expiresIn,
    refresh_token: refreshToken,
  };
}

export function publicUser(user: UserRow): PublicUser {
  return {
    id: user.id,
    tenant_id: user.tenant_id,
    email: user.email,
    email_verified: user.email_verified,
    name: user.name,
    created_at: user.created_at.toISOString(),
    last_login_at: user.last_login_at?.toISOString() ?? null,
  };
}

export function publicSession(row: ListedSessionRow, currentSessionId?: string): PublicSession {
  return {
    id: row.id,
    kind: row.kind,
    created_at: row.created_at.toISOString(),
    last_seen_at: row.last_seen_at.toISOString(),
    expires_at: row.expires_at.toISOString(),
    ip: row.ip,
    user_agent: row.user_agent,
    current: row.id === currentSessionId,
    client_id: row.client_id,
    offline: row.offline,
  };
}

/** Who made a change through the operator's tools: an admin API key's holder (with the request), or the CLI. */
export type OperatorActor = { via: 'admin_api'; adminId: string; meta: RequestMeta } | { via: 'cli' };

/** An operator's change as its audit event records it: the request's fields, and `via` and `admin_id` in data. */
export function operatorAudit(actor: OperatorActor): {
  meta: { ip?: string; userAgent?: string | null };
  data: { via: 'admin_api'; admin_id: string } | { via: 'cli' };
} {
  return actor.via === 'admin_api'
    ? { meta: auditMeta(actor.meta), data: { via: 'admin_api', admin_id: actor.adminId } }
    : { meta: {}, data: { via: 'cli' } };
}

/** The request fields an audit event keeps. */
export function auditMeta(meta: RequestMeta): { ip: string; userAgent: string | null } {
  return { ip: meta.ip, userAgent: meta.userAgent };
}
