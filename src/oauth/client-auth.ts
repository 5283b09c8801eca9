// Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3, OIDC Core
// §9). Rules:
// - exactly one method per request (Basic header, body secret, or a JWT assertion);
// - the method must be the one the client registered, except that a client with a secret may send it by
//   Basic or in the body unless registered as strict (token_endpoint_auth_strict). Never a downgrade: a
//   secret client cannot authenticate as `none`, a private_key_jwt client never with a secret;
// - secrets are compared in constant time (Clients.verifySecret); every failure is the same
//   invalid_client, so a caller cannot tell an unknown client from a wrong secret;
// - private_key_jwt (RFC 7523 §3): signed by a key in the client's registered JWKS, iss = sub = client_id,
//   short-lived, its audience this server only (the issuer or the token endpoint: every entry of an `aud`
//   array), and accepted once: its jti is remembered in the database until it expires, so a replay is
//   refused by every instance.
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Client, Clients, TokenEndpointAuthMethod } from '../clients/clients.js';
import type { Database } from '../db/database.js';
import { rememberAssertionJti } from '../db/repositories/client-assertions.js';
import type { Tenant } from '../tenants/tenants.js';
import { InvalidClient, InvalidRequest } from './errors.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** What the request presented, as parsed by the HTTP layer. */
export type PresentedClient =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; secret: string }
  | { method: 'private_key_jwt'; clientId?: string; assertion: string }
  | { method: 'none'; clientId: string };

export interface ClientAuthDeps {
  clients: Clients;
  db: Database;
}

/** How long an assertion is accepted after its iat, whatever its exp says. */
const MAX_ASSERTION_AGE_SECONDS = 300;
const MAX_JTI_LENGTH = 256;
/** How far the database's clock may run ahead of this server's without a remembered jti expiring early. */
const JTI_CLOCK_SKEW_SECONDS = 60;
const SECRET_METHODS: readonly TokenEndpointAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

export async function authenticateClient(
  deps: ClientAuthDeps,
  tenant: Tenant,
  presented: PresentedClient,
  audiences: string[],
): Promise<Client> {
  const clientId = presented.clientId ?? assertionIssuer(presented);
  const client = clientId ? await deps.clients.get(tenant, clientId) : null;
  if (!client || !methodAccepted(client, presented.method)) throw new InvalidClient();
  switch (presented.method) {
    case 'none':
      return client;
    case 'client_secret_basic':
    case 'client_secret_post':
      if (!(await deps.clients.verifySecret(client, presented.secret))) throw new InvalidClient();
      return client;
    case 'private_key_jwt':
      await verifyAssertion(deps.db, client, presented.assertion, audiences);
      return client;
  }
}

function methodAccepted(client: Client, method: TokenEndpointAuthMethod): boolean {
  if (client.tokenEndpointAuthMethod === method) return true;
  return (
    !client.tokenEndpointAuthStrict &&
    SECRET_METHODS.includes(client.tokenEndpointAuthMethod) &&
    SECRET_METHODS.includes(method)
  );
}

function assertionIssuer(presented: PresentedClient): string | undefined {
  if (presented.method !== 'private_key_jwt') return undefined;
  try {
    const payload: unknown = JSON.parse(
      Buffer.from(presented.assertion.split('.')[1] ?? '', 'base64url').toString(),
    );
    const iss = (payload as { iss?: unknown } | null)?.iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    throw new InvalidRequest('The client_assertion is malformed.');
  }
}

async function verifyAssertion(
  db: Database,
  client: Client,
  assertion: string,
  audiences: string[],
): Promise<void> {
  if (!client.jwks) throw new InvalidClient();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks), {
      issuer: client.clientId,
      subject: client.clientId,
      audience: audiences,
      maxTokenAge: MAX_ASSERTION_AGE_SECONDS,
      requiredClaims: ['exp', 'jti'],
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    }));
  } catch {
    throw new InvalidClient('The client assertion is invalid.');
  }
  // jose accepts an aud array when one entry matches; an assertion also meant for another server is not
  // ours to accept (RFC 7523 §3: the audience identifies this authorization server).
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!aud.every((a) => typeof a === 'string' && audiences.includes(a)))
    throw new InvalidClient('The client assertion is invalid.');
  const { jti, exp, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
    throw new InvalidClient('The client assertion is invalid.');
  // Kept past the last second jose would accept the assertion (exp, or iat + the maximum age, which jose
  // counts in whole seconds: one more), plus room for the database's clock running ahead of ours.
  const until = Math.min(exp!, iat! + MAX_ASSERTION_AGE_SECONDS + 1) + JTI_CLOCK_SKEW_SECONDS;
  const first = await rememberAssertionJti(db, {
    tenantId: client.tenantId,
    clientId: client.clientId,
    jti,
    expiresAt: new Date(until * 1000),
  });
  if (!first) throw new InvalidClient('The client assertion was already used.');
}
