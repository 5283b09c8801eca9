// The OAuth benchmark's peer: node-oidc-provider (npm `oidc-provider`) with production-like settings,
// served by a plain node:http server. Run as a child process by bench/run.ts (bench/suites/oidc.ts).
//
// Environment: HOST, PORT. (DATABASE_URL and DATABASE_MAX_CONNECTIONS are given to every peer by the
// harness and unused here: the provider keeps its state in its default in-memory adapter.)
//
// Configured to do the work HelloJohn does, as far as the two can be made to match:
// - one confidential client, `client_secret_basic`, PKCE (S256) required, grant types
//   authorization_code, refresh_token and client_credentials, `openid` and `api:read` scopes;
// - access tokens are JWTs signed EdDSA (Ed25519) for one resource server (resource indicators, with a
//   default resource so neither grant has to name it), ID tokens RS256 (the OpenID Connect default and
//   HelloJohn's default for a client), both keys in the provider's `jwks`;
// - no development interactions: the benchmark seeds each user once through a tiny interaction handler
//   (`/interaction/:uid`, bench-only) that logs the user in and saves a Grant. After that, an authorize
//   request carrying the session cookie is answered at once with a redirect carrying a code;
// - a refresh token with every code exchange when the client may use the refresh_token grant, as
//   HelloJohn does (the provider's default issues one only with `offline_access`); cookie keys set.
// Bench-only routes: GET /ready, GET /bench/client (the client's credentials for the load generator).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? '3000');
const issuer = `http://${host}:${port}`;

/** What the load generator needs to know; served on GET /bench/client. */
const client = {
  client_id: 'bench',
  client_secret: randomBytes(32).toString('base64url'),
  redirect_uri: `${issuer}/cb`,
  resource: 'urn:hellojohn-bench:api',
};

// oidc-provider ships no type declarations: the few parts used here are typed locally.
interface InteractionDetails {
  uid: string;
  prompt: { name: string };
  params: Record<string, unknown>;
}
interface GrantInstance {
  addOIDCScope(scope: string): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
interface ProviderInstance {
  proxy: boolean;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: new (init: { accountId: string; clientId: string }) => GrantInstance;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

interface OidcModule {
  default: ProviderClass;
  errors: { InvalidTarget: new () => Error };
}

// Imported through a `string` so TypeScript does not look for the declarations the package lacks.
const moduleName: string = 'oidc-provider';
const oidc = (await import(moduleName)) as OidcModule;
const Provider = oidc.default;
const require = createRequire(import.meta.url);
const version = (require('oidc-provider/package.json') as { version: string }).version;

function jwk(type: 'ed25519' | 'rsa', kid: string): Record<string, unknown> {
  const { privateKey } =
    type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig' };
}

const configuration: Record<string, unknown> = {
  clients: [
    {
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: [client.redirect_uri],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      scope: 'openid offline_access api:read',
    },
  ],
  // Ed25519 for the JWT access tokens, RSA for the ID tokens (RS256).
  jwks: { keys: [jwk('ed25519', 'ed25519-1'), jwk('rsa', 'rsa-1')] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  // One stable subject per seeded user; the claims come from memory (HelloJohn reads its users table).
  findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
  scopes: ['openid', 'offline_access', 'api:read'],
  pkce: { required: () => true },
  issueRefreshToken: (_ctx: unknown, c: { grantTypeAllowed(type: string): boolean }) =>
    c.grantTypeAllowed('refresh_token'),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => client.resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx: unknown, resource: string) => {
        if (resource !== client.resource) throw new oidc.errors.InvalidTarget();
        return {
          scope: 'api:read',
          audience: client.resource,
          accessTokenTTL: 15 * 60,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'EdDSA' } },
        };
      },
    },
  },
  interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  // HelloJohn's defaults: access tokens 15 min, ID tokens 1 h, codes 60 s, sessions 24 h.
  ttl: {
    AccessToken: 15 * 60,
    ClientCredentials: 15 * 60,
    AuthorizationCode: 60,
    IdToken: 60 * 60,
    RefreshToken: 30 * 24 * 60 * 60,
    Interaction: 10 * 60,
    Session: 24 * 60 * 60,
    Grant: 30 * 24 * 60 * 60,
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (_ctx: unknown, error: unknown) => {
  process.stderr.write(`oidc-provider server_error: ${String(error)}\n`);
});
const callback = provider.callback();

/**
 * The seeding step of one user: the authorize request was redirected here. Logs in the account named by
 * `?account=` and grants the client what it asked for, so later authorize requests need no interaction.
 */
async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const accountId = new URL(req.url ?? '/', issuer).searchParams.get('account');
  if (!accountId) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('?account= is required');
    return;
  }
  const grant = new provider.Grant({ accountId, clientId: client.client_id });
  const scope = typeof details.params.scope === 'string' ? details.params.scope : 'openid';
  for (const name of scope.split(' ')) {
    if (name === 'openid' || name === 'offline_access') grant.addOIDCScope(name);
  }
  grant.addResourceScope(client.resource, 'api:read');
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (path === '/ready') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (path === '/bench/client') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...client, version }));
    return;
  }
  if (path.startsWith('/interaction/')) {
    interaction(req, res).catch((error: unknown) => {
      process.stderr.write(`interaction error: ${String(error)}\n`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
    return;
  }
  callback(req, res);
});
server.keepAliveTimeout = 65_000;

server.listen(port, host, () => {
  process.stdout.write(`oidc-provider ${version} peer listening on ${issuer}\n`);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 5_000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
