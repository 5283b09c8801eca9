// What every provider shares: the authorization request (state, PKCE S256, nonce), the code exchange at
// the token endpoint, and the proof of who the user is: an OpenID Connect provider's ID token (signature
// by the keys its discovery document names, issuer, audience, expiry, nonce; verified with jose), or an
// OAuth 2.0 provider's user-info API. Providers differ only in the data of providers.ts.
//
// Not openid-client's grant: Microsoft's multi-tenant endpoints publish an issuer template that the ID
// token's `tid` fills in, which openid-client accepts only from login.microsoftonline.com itself, and
// GitHub answers a failed exchange with 200 and an `error`. One small path here serves every provider.
import { timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { providerUrl } from '../../config/social.js';
import type { OAuthEndpoints, Profile, ProviderDefinition, ProviderOptions } from './providers.js';

/** A tenant's provider, ready to use: its definition, credentials and address. */
export interface ProviderSetup {
  /** The id in the routes (`google`, or a generic provider's own id). */
  id: string;
  definition: ProviderDefinition;
  label: string;
  clientId: string;
  /** Opened from its sealed form; null for a provider without one. */
  clientSecret: string | null;
  scopes: readonly string[];
  /** The issuer (OpenID Connect) or base URL (OAuth 2.0). */
  url: URL;
  options: ProviderOptions;
}

/** Why a provider step failed: it did not answer (in time), it refused, or its answer is not valid. */
export type ProviderFailure = 'unavailable' | 'refused' | 'invalid';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly failure: ProviderFailure,
    /** For the log: what went wrong, never a token or code. */
    detail: string,
  ) {
    super(detail);
  }
}

/** The fields of a discovery document we use (OpenID Connect Discovery 1.0 §3). */
interface Metadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  id_token_signing_alg_values_supported?: string[];
  token_endpoint_auth_methods_supported?: string[];
}

/** Signature algorithms an ID token may use: asymmetric only (a MAC would be keyed with the secret). */
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const MAX_CACHED = 200;

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  nonce: string;
  codeChallenge: string;
}

export interface CodeExchange {
  code: string;
  redirectUri: string;
  verifier: string;
  nonce: string;
  /** What the callback carried besides the code (Apple's `user`), for `nameFromCallback`. */
  callbackUser?: string;
}

export class ProviderProtocol {
  private readonly discovered = new Map<string, { metadata: Metadata; at: number }>();
  private readonly keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(private readonly timeoutMs: number) {}

  /** Where the browser goes to sign in at the provider. */
  async authorizationUrl(p: ProviderSetup, request: AuthorizationRequest): Promise<URL> {
    const { authorization } = await this.endpoints(p);
    const target = new URL(authorization);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: p.clientId,
      redirect_uri: request.redirectUri,
      scope: p.scopes.join(p.definition.scopeSeparator ?? ' '),
      state: request.state,
      ...(p.definition.protocol === 'oidc' ? { nonce: request.nonce } : {}),
      ...(p.definition.pkce ? { code_challenge: request.codeChallenge, code_challenge_method: 'S256' } : {}),
      ...p.definition.authorizationParams,
    };
    for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
    return target;
  }

  /** Exchanges the code and proves the user: the profile the provider vouches for. */
  async complete(p: ProviderSetup, exchange: CodeExchange): Promise<Profile> {
    const endpoints = await this.endpoints(p);
    const tokens = await this.exchangeCode(p, endpoints, exchange);
    const profile =
      p.definition.protocol === 'oidc'
        ? await this.oidcProfile(p, tokens, exchange.nonce)
        : await p.definition.fetchProfile!(p.url, (url) => this.getJson(url, tokens.access_token));
    if (!profile.subject || profile.subject === 'undefined')
      throw new ProviderError('invalid', 'the provider named no user');
    const name = exchange.callbackUser ? p.definition.nameFromCallback?.(exchange.callbackUser) : null;
    return name && !profile.name ? { ...profile, name } : profile;
  }

  private async endpoints(p: ProviderSetup): Promise<OAuthEndpoints & { metadata?: Metadata }> {
    if (p.definition.protocol === 'oauth2') return p.definition.endpoints!(p.url);
    const metadata = await this.discover(p);
    return {
      authorization: new URL(metadata.authorization_endpoint),
      token: new URL(metadata.token_endpoint),
      metadata,
    };
  }

  /** The provider's discovery document (cached an hour; a failure is not cached). */
  private async discover(p: ProviderSetup): Promise<Metadata> {
    const issuer = p.url.href.replace(/\/$/, '');
    const cached = this.discovered.get(issuer);
    if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.metadata;
    const json = await this.fetchJson(new URL(`${issuer}/.well-known/openid-configuration`), {});
    const metadata = json as Partial<Metadata>;
    const endpoints = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;
    if (typeof metadata.issuer !== 'string' || endpoints.some((e) => typeof metadata[e] !== 'string'))
      throw new ProviderError('invalid', 'the discovery document lacks issuer or endpoints');
    // The document must be the issuer's own (Discovery §4.3); Microsoft's multi-tenant ones publish the
    // template their tokens fill in.
    const template = issuer.replace(/\/(common|organizations|consumers)\/v2\.0$/, '/{tenantid}/v2.0');
    if (metadata.issuer !== issuer && !(p.definition.kind === 'microsoft' && metadata.issuer === template))
      throw new ProviderError('invalid', `discovery names issuer ${metadata.issuer}, not ${issuer}`);
    const more = [metadata.userinfo_endpoint].filter((e): e is string => typeof e === 'string');
    if ([...endpoints.map((e) => metadata[e] as string), ...more].some((e) => !providerUrl(e)))
      throw new ProviderError('invalid', 'a discovered endpoint is not https');
    if (this.discovered.size >= MAX_CACHED) this.discovered.clear();
    this.discovered.set(issuer, { metadata: metadata as Metadata, at: Date.now() });
    return metadata as Metadata;
  }

  private async exchangeCode(
    p: ProviderSetup,
    endpoints: OAuthEndpoints & { metadata?: Metadata },
    exchange: CodeExchange,
  ): Promise<{ access_token: string; id_token?: string }> {
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code: exchange.code,
      redirect_uri: exchange.redirectUri,
      ...(p.definition.pkce ? { code_verifier: exchange.verifier } : {}),
    });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const secret = await this.clientSecret(p, endpoints.metadata);
    if (this.tokenAuth(p, endpoints.metadata) === 'client_secret_basic' && secret !== null) {
      // RFC 6749 §2.3.1: each part form-encoded before the Basic encoding.
      const pair = `${encodeURIComponent(p.clientId)}:${encodeURIComponent(secret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', p.clientId);
      if (secret !== null) form.set('client_secret', secret);
    }
    const json = (await this.fetchJson(endpoints.token, { method: 'POST', headers, body: form })) as Record<
      string,
      unknown
    >;
    // GitHub answers a refused exchange with 200 and an `error`.
    if (typeof json.error === 'string')
      throw new ProviderError('refused', `the token endpoint refused the code: ${json.error}`);
    if (typeof json.access_token !== 'string')
      throw new ProviderError('invalid', 'the token response has no access_token');
    if (json.id_token !== undefined && typeof json.id_token !== 'string')
      throw new ProviderError('invalid', 'the token response has an id_token that is not a string');
    return json as { access_token: string; id_token?: string };
  }

  private tokenAuth(p: ProviderSetup, metadata?: Metadata): 'client_secret_basic' | 'client_secret_post' {
    if (p.definition.kind !== 'oidc') return p.definition.tokenAuth;
    // A generic provider: Basic (the default of OpenID Connect) unless it supports only the post form.
    const supported = metadata?.token_endpoint_auth_methods_supported;
    return supported && !supported.includes('client_secret_basic') && supported.includes('client_secret_post')
      ? 'client_secret_post'
      : 'client_secret_basic';
  }

  private async clientSecret(p: ProviderSetup, metadata?: Metadata): Promise<string | null> {
    if (p.clientSecret === null || !p.definition.clientSecret) return p.clientSecret;
    try {
      return await p.definition.clientSecret({
        clientId: p.clientId,
        secret: p.clientSecret,
        options: p.options,
        issuer: metadata?.issuer ?? p.url.href,
      });
    } catch (error) {
      throw new ProviderError('invalid', `cannot make the client secret: ${(error as Error).message}`);
    }
  }

  /** The ID token's proof (OpenID Connect Core §3.1.3.7), then UserInfo for what the token lacks. */
  private async oidcProfile(
    p: ProviderSetup,
    tokens: { access_token: string; id_token?: string },
    nonce: string,
  ): Promise<Profile> {
    if (!tokens.id_token) throw new ProviderError('invalid', 'the token response has no id_token');
    const metadata = await this.discover(p);
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(tokens.id_token);
    } catch {
      throw new ProviderError('invalid', 'the id_token is not a JWT');
    }
    const issuers = p.definition.acceptedIssuers?.(metadata.issuer, unverified) ?? [metadata.issuer];
    if (issuers.length === 0) throw new ProviderError('invalid', 'the id_token names no acceptable issuer');
    const algorithms = (metadata.id_token_signing_alg_values_supported ?? ['RS256']).filter((a) =>
      ASYMMETRIC.includes(a),
    );
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(tokens.id_token, this.keys(metadata.jwks_uri), {
        issuer: issuers,
        audience: p.clientId,
        algorithms: algorithms.length > 0 ? algorithms : ['RS256'],
        requiredClaims: ['sub', 'iat', 'exp'],
        clockTolerance: 30,
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout)
        throw new ProviderError('unavailable', 'the provider\u2019s keys did not load in time');
      const code = (error as { code?: string }).code ?? 'error';
      throw new ProviderError(
        'invalid',
        `the id_token does not verify (${code}: ${(error as Error).message})`,
      );
    }
    // A token for several audiences must name us as the party it was issued to.
    if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== p.clientId)
      throw new ProviderError('invalid', 'the id_token was issued to another party (azp)');
    if (typeof claims.nonce !== 'string' || !sameText(claims.nonce, nonce))
      throw new ProviderError('invalid', 'the id_token nonce is not the one this browser sent');
    let profile = p.definition.claims!(claims);
    if (!profile.email && metadata.userinfo_endpoint) {
      const info = (await this.getJson(new URL(metadata.userinfo_endpoint), tokens.access_token)) as Record<
        string,
        unknown
      >;
      // UserInfo's sub must be the ID token's (Core §5.3.2), or its claims are someone else's.
      if (info.sub !== claims.sub) throw new ProviderError('invalid', 'UserInfo names another subject');
      profile = p.definition.claims!({ ...info, ...claims, ...pick(info, ['email', 'email_verified']) });
    }
    return profile;
  }

  private keys(jwksUri: string) {
    let keys = this.keySets.get(jwksUri);
    if (!keys) {
      if (this.keySets.size >= MAX_CACHED) this.keySets.clear();
      keys = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: this.timeoutMs });
      this.keySets.set(jwksUri, keys);
    }
    return keys;
  }

  private getJson(url: URL, accessToken: string): Promise<unknown> {
    return this.fetchJson(url, {
      headers: {
        authorization: `Bearer ${accessToken}`,
        // GitHub's API refuses requests without a User-Agent.
        'user-agent': 'HelloJohn',
      },
    });
  }

  /** A JSON answer of the provider, within the time limit; its failures as ProviderErrors. */
  private async fetchJson(url: URL, init: RequestInit): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url, {
        ...init,
        headers: { accept: 'application/json', ...(init.headers as Record<string, string>) },
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      throw new ProviderError(
        'unavailable',
        `${url.origin}${url.pathname}: ${timedOut ? 'timed out' : 'unreachable'}`,
      );
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new ProviderError('unavailable', `${url.origin}${url.pathname}: the answer was cut off`);
    }
    if (response.status >= 500)
      throw new ProviderError('unavailable', `${url.origin}${url.pathname} answered ${response.status}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ProviderError(
        'invalid',
        `${url.origin}${url.pathname} answered ${response.status}, not JSON`,
      );
    }
    if (!response.ok) {
      const error = (json as { error?: unknown } | null)?.error;
      throw new ProviderError(
        'refused',
        `${url.origin}${url.pathname} answered ${response.status}${typeof error === 'string' ? ` (${error})` : ''}`,
      );
    }
    if (json === null || typeof json !== 'object')
      throw new ProviderError('invalid', `${url.origin}${url.pathname} answered JSON that is not an object`);
    return json;
  }
}

function pick(record: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(names.filter((n) => n in record).map((n) => [n, record[n]]));
}

/** Constant-time equality of two strings. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
