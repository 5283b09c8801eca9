// Local servers standing in for social sign-in providers, speaking their documented endpoints:
// - an OpenID Provider (node-oidc-provider), configured with a provider's issuer path and claims (Google,
//   Microsoft per-tenant and its multi-tenant `{tenantid}` discovery, Apple's form_post and JWT client
//   secret, GitLab, any OIDC provider), with hooks to misbehave (a tampered ID token, a token endpoint
//   that fails or hangs);
// - OAuth 2.0 providers with their user APIs in GitHub's, Discord's and Facebook's shapes.
// The person signing in at the provider is chosen by the test (`signIn`): no login form to fill in.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SignJWT,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type JWK,
} from 'jose';
import Provider from 'oidc-provider';

export interface ProviderAccount {
  sub: string;
  email?: string;
  email_verified?: boolean | string;
  name?: string;
  picture?: string;
  /** Microsoft: the directory (tenant) id. */
  tid?: string;
  /** Microsoft: the domain owner verified the email. */
  xms_edov?: boolean;
}

type TokenBehaviour = 'ok' | 'error500' | 'hang';

interface Listening {
  origin: string;
  /** Every request's URL, in order. */
  requests: URL[];
  close(): Promise<void>;
}

/** Listens on 127.0.0.1, or (`localhost`: another site than our 127.0.0.1 for the browser) on both stacks. */
async function listen(
  handler: http.RequestListener,
  host: '127.0.0.1' | 'localhost' = '127.0.0.1',
): Promise<{ server: http.Server; origin: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) =>
    host === 'localhost' ? server.listen(0, resolve) : server.listen(0, host, resolve),
  );
  return { server, origin: `http://${host}:${(server.address() as AddressInfo).port}` };
}

function closer(server: http.Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

// --- OpenID Connect ----------------------------------------------------------------------------------

export interface LocalOidcProvider extends Listening {
  /** The issuer to configure (SOCIAL_<ID>_URL, or a tenant's issuer). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Who signs in at the provider from now on. */
  signIn(account: ProviderAccount): void;
  /** The next ID token's claims are changed and the token re-signed (with another key when `foreignKey`). */
  tamperIdToken(
    change: (claims: Record<string, unknown>) => Record<string, unknown>,
    foreignKey?: boolean,
  ): void;
  tokenEndpoint(behaviour: TokenBehaviour): void;
  /** The client secrets the token endpoint received (Apple's JWTs). */
  secretsReceived: string[];
  /** Registers our client with its redirect URIs (once our server listens); answers nothing before. */
  register(redirectUris: string[]): void;
}

export interface OidcProviderOptions {
  /** The issuer's path (`/<tid>/v2.0` for Microsoft), '' for an origin-only issuer. */
  path?: string;
  clientAuth?: 'client_secret_basic' | 'client_secret_post';
  /**
   * Microsoft's multi-tenant endpoints: serve a discovery document at `<alias>/.well-known/…` naming the
   * issuer template `<origin>/{tenantid}/v2.0` (the tokens come from `path`).
   */
  multiTenantAlias?: string;
  /** The provider's host name: `localhost` makes it another site than our 127.0.0.1 (cross-site posts). */
  host?: '127.0.0.1' | 'localhost';
  /** Apple: the client secret is an ES256 JWT; checked with this key (iss = team, sub = client id). */
  jwtClientSecret?: { publicKey: Awaited<ReturnType<typeof generateKeyPair>>['publicKey']; teamId: string };
}

export async function startOidcProvider(options: OidcProviderOptions): Promise<LocalOidcProvider> {
  const path = options.path ?? '';
  const requests: URL[] = [];
  const secretsReceived: string[] = [];
  let account: ProviderAccount = { sub: 'nobody' };
  let tamper: { change: (c: Record<string, unknown>) => Record<string, unknown>; foreign: boolean } | null =
    null;
  let behaviour: TokenBehaviour = 'ok';
  const hung: http.ServerResponse[] = [];
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' } as JWK;
  const foreign = (await generateKeyPair('RS256')).privateKey;
  const clientId = `client-${randomBytes(4).toString('hex')}`;
  const clientSecret = randomBytes(16).toString('base64url');

  let provider: Provider | undefined;
  const { server, origin } = await listen((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      requests.push(url);
      if (
        options.multiTenantAlias &&
        url.pathname === `${options.multiTenantAlias}/.well-known/openid-configuration`
      ) {
        const own = (await (
          await fetch(`${origin}${path}/.well-known/openid-configuration`)
        ).json()) as Record<string, unknown>;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...own, issuer: `${origin}/{tenantid}/v2.0` }));
        return;
      }
      if (!provider || !url.pathname.startsWith(`${path}/`)) {
        res.writeHead(404).end();
        return;
      }
      const local = url.pathname.slice(path.length);
      if (local.startsWith('/interaction/')) {
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: account.sub } },
          { mergeWithLastSubmission: false },
        );
        return;
      }
      if (local === '/token') {
        if (behaviour === 'hang') {
          hung.push(res);
          return;
        }
        if (behaviour === 'error500') {
          res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Something went wrong</h1>');
          return;
        }
        if (options.jwtClientSecret) {
          // Apple: check the JWT client secret, then hand oidc-provider the static one it knows.
          const body = new URLSearchParams(await readBody(req));
          const jwt = body.get('client_secret') ?? '';
          secretsReceived.push(jwt);
          try {
            await jwtVerify(jwt, options.jwtClientSecret.publicKey, {
              issuer: options.jwtClientSecret.teamId,
              subject: clientId,
              audience: `${origin}${path}`,
              algorithms: ['ES256'],
            });
            body.set('client_secret', clientSecret);
          } catch {
            body.set('client_secret', 'wrong');
          }
          // oidc-provider reads an already-consumed body from req.body.
          (req as unknown as { body: string }).body = body.toString();
        }
      }
      (req as unknown as { originalUrl: string }).originalUrl = url.pathname + url.search;
      req.url = local + url.search;
      provider.callback()(req, res);
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  }, options.host);

  const register = (redirectUris: string[]) => {
    provider = new Provider(`${origin}${path}`, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: redirectUris,
          response_types: ['code'],
          grant_types: ['authorization_code'],
          token_endpoint_auth_method: options.jwtClientSecret
            ? 'client_secret_post'
            : (options.clientAuth ?? 'client_secret_basic'),
        },
      ],
      jwks: { keys: [jwk] },
      // Like Google, the ID token carries the requested claims (not only UserInfo).
      conformIdTokenClaims: false,
      claims: {
        openid: ['sub', 'tid', 'xms_edov'],
        email: ['email', 'email_verified'],
        profile: ['name', 'picture'],
        name: ['name'],
      },
      scopes: ['openid', 'email', 'profile', 'name'],
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => false },
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) => `${path}/interaction/${interaction.uid}`,
      },
      findAccount: (_ctx: unknown, id: string) => ({
        accountId: id,
        claims: () => ({ ...(account.sub === id ? account : {}), sub: id }),
      }),
      async loadExistingGrant(ctx: {
        oidc: { provider: Provider; client?: { clientId: string }; session?: { accountId?: string } };
      }) {
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client!.clientId,
          accountId: ctx.oidc.session!.accountId!,
        });
        grant.addOIDCScope('openid email profile name');
        grant.addOIDCClaims(['sub', 'tid', 'xms_edov', 'email', 'email_verified', 'name', 'picture']);
        await grant.save();
        return grant;
      },
      cookies: { keys: [randomBytes(16).toString('hex')] },
      ttl: { Session: 60, Interaction: 60, Grant: 60, AuthorizationCode: 60, AccessToken: 60, IdToken: 60 },
    });
    provider.use(async (ctx, next) => {
      await next();
      const body = ctx.body as { id_token?: string } | undefined;
      if (ctx.path === '/token' && tamper && body?.id_token) {
        const { change, foreign: useForeign } = tamper;
        tamper = null;
        const header = decodeProtectedHeader(body.id_token);
        const claims = change(decodeJwt(body.id_token));
        const key = useForeign ? foreign : await importJWK(jwk, 'RS256');
        ctx.body = {
          ...body,
          id_token: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid }).sign(key),
        };
      }
    });
  };

  const close = closer(server);
  return {
    origin,
    issuer: `${origin}${path}`,
    requests,
    clientId,
    clientSecret,
    secretsReceived,
    register,
    signIn: (a) => {
      account = a;
    },
    tamperIdToken: (change, foreignKey = false) => {
      tamper = { change, foreign: foreignKey };
    },
    tokenEndpoint: (b) => {
      behaviour = b;
    },
    close: async () => {
      for (const res of hung) res.destroy();
      await close();
    },
  };
}

// --- OAuth 2.0: GitHub, Discord, Facebook ---------------------------------------------------------------

export interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/** The user as the provider's API shows it (GitHub: with `emails`, its /user/emails). */
export type OAuthAccount = Record<string, unknown>;

/** Where each provider documents its endpoints, how it takes the client's credentials, what its API answers. */
const SHAPES = {
  github: {
    authorize: '/login/oauth/authorize',
    token: '/login/oauth/access_token',
    clientAuth: 'post',
    // GitHub answers a bad exchange with 200 and an error (when asked for JSON).
    errorStatus: 200,
    api: {
      '/api/v3/user': ({ emails: _emails, ...user }: OAuthAccount) => ({ email: null, ...user }),
      '/api/v3/user/emails': (a: OAuthAccount) => a.emails ?? [],
    },
  },
  discord: {
    authorize: '/oauth2/authorize',
    token: '/api/oauth2/token',
    clientAuth: 'basic',
    errorStatus: 400,
    api: { '/api/users/@me': (a: OAuthAccount) => a },
  },
  facebook: {
    authorize: '/v21.0/dialog/oauth',
    token: '/v21.0/oauth/access_token',
    clientAuth: 'post',
    errorStatus: 400,
    api: { '/v21.0/me': (a: OAuthAccount) => a },
  },
} as const;

export interface LocalOAuthProvider extends Listening {
  /** The base URL to configure (SOCIAL_<ID>_URL; for GitHub a GitHub Enterprise Server's shape). */
  url: string;
  clientId: string;
  clientSecret: string;
  signIn(account: OAuthAccount): void;
  /** The next authorization answers with this error instead of a code. */
  denyNext(error: string): void;
  /** The form bodies the token endpoint received. */
  tokenRequests: URLSearchParams[];
}

export async function startOAuthProvider(kind: keyof typeof SHAPES): Promise<LocalOAuthProvider> {
  const shape = SHAPES[kind];
  const requests: URL[] = [];
  const tokenRequests: URLSearchParams[] = [];
  const clientId = `${kind}-${randomBytes(8).toString('hex')}`;
  const clientSecret = randomBytes(20).toString('hex');
  let account: OAuthAccount | null = null;
  let deny: string | null = null;
  const codes = new Map<string, { account: OAuthAccount; redirectUri: string; challenge: string | null }>();
  const tokens = new Map<string, OAuthAccount>();

  const json = (res: http.ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));

  const { server, origin } = await listen((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', origin);
      requests.push(url);
      if (req.method === 'GET' && url.pathname === shape.authorize) {
        const redirect = new URL(url.searchParams.get('redirect_uri') ?? '');
        const state = url.searchParams.get('state');
        if (url.searchParams.get('client_id') !== clientId || !account) {
          res.writeHead(404).end('Not Found');
          return;
        }
        if (deny) {
          redirect.searchParams.set('error', deny);
          deny = null;
        } else {
          const code = randomBytes(10).toString('hex');
          codes.set(code, {
            account,
            redirectUri: redirect.href,
            challenge: url.searchParams.get('code_challenge'),
          });
          redirect.searchParams.set('code', code);
        }
        if (state) redirect.searchParams.set('state', state);
        res.writeHead(302, { location: redirect.href }).end();
        return;
      }
      if (req.method === 'POST' && url.pathname === shape.token) {
        const form = new URLSearchParams(await readBody(req));
        tokenRequests.push(form);
        const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
        const [id, secret] =
          shape.clientAuth === 'basic' && basic
            ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent)
            : [form.get('client_id'), form.get('client_secret')];
        const code = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier');
        const pkceOk =
          !code?.challenge ||
          (verifier !== null && createHash('sha256').update(verifier).digest('base64url') === code.challenge);
        if (
          !code ||
          id !== clientId ||
          secret !== clientSecret ||
          form.get('redirect_uri') !== code.redirectUri ||
          !pkceOk
        ) {
          json(res, shape.errorStatus, {
            error: 'bad_verification_code',
            error_description: 'The code passed is incorrect or expired.',
          });
          return;
        }
        const token = randomBytes(18).toString('hex');
        tokens.set(token, code.account);
        json(res, 200, { access_token: token, token_type: 'bearer', expires_in: 3600 });
        return;
      }
      const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const who = bearer ? tokens.get(bearer) : undefined;
      const api = (shape.api as Record<string, (a: OAuthAccount) => unknown>)[url.pathname];
      if (api) {
        // GitHub's API refuses a request without a User-Agent.
        if (!req.headers['user-agent']) {
          json(res, 403, { message: 'Please make sure your request has a User-Agent header' });
          return;
        }
        if (!who) {
          json(res, 401, { message: 'Bad credentials' });
          return;
        }
        json(res, 200, api(who));
        return;
      }
      res.writeHead(404).end();
    })().catch((error: unknown) => res.writeHead(500).end(String(error)));
  });

  return {
    origin,
    url: origin,
    requests,
    tokenRequests,
    clientId,
    clientSecret,
    signIn: (a) => {
      account = a;
    },
    denyNext: (error) => {
      deny = error;
    },
    close: closer(server),
  };
}
