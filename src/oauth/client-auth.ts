// Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3, OIDC Core
// §9). Rules:
// - exactly one method per request (Basic header, body secret, or a JWT assertion);
// - the method must be the one the client registered (no downgrade from a secret to `none`);
// - secrets are compared in constant time (Clients.verifySecret); every failure is the same
//   invalid_client, so a caller cannot tell an unknown client from a wrong secret;
// - private_key_jwt (RFC 7523): signed by a key in the client's registered JWKS, iss = sub = client_id,
//   aud = the token endpoint or the issuer, short-lived.
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Client, Clients } from '../clients/clients.js';
import type { Tenant } from '../tenants/tenants.js';
import { InvalidClient, InvalidRequest } from './errors.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** What the request presented, as parsed by the HTTP layer. */
export type PresentedClient =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; secret: string }
  | { method: 'private_key_jwt'; clientId?: string; assertion: string }
  | { method: 'none'; clientId: string };

export async function authenticateClient(
  clients: Clients,
  tenant: Tenant,
  presented: PresentedClient,
  audiences: string[],
): Promise<Client> {
  const clientId = presented.clientId ?? assertionIssuer(presented);
  const client = clientId ? await clients.get(tenant, clientId) : null;
  if (!client || client.tokenEndpointAuthMethod !== presented.method) throw new InvalidClient();
  switch (presented.method) {
    case 'none':
      return client;
    case 'client_secret_basic':
    case 'client_secret_post':
      if (!(await clients.verifySecret(client, presented.secret))) throw new InvalidClient();
      return client;
    case 'private_key_jwt':
      await verifyAssertion(client, presented.assertion, audiences);
      return client;
  }
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

async function verifyAssertion(client: Client, assertion: string, audiences: string[]): Promise<void> {
  if (!client.jwks) throw new InvalidClient();
  try {
    await jwtVerify(assertion, createLocalJWKSet(client.jwks), {
      issuer: client.clientId,
      subject: client.clientId,
      audience: audiences,
      maxTokenAge: '5m',
      requiredClaims: ['exp', 'jti'],
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    });
  } catch {
    throw new InvalidClient('The client assertion is invalid.');
  }
}
