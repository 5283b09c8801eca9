// The providers, as data over the shared protocol code (protocol.ts): where each one lives, what it asks
// for, how its answer maps to our profile, and its quirks. An OpenID Connect provider is found by its
// issuer (discovery) and proves the user with its ID token; an OAuth 2.0 one (GitHub, Discord, Facebook)
// by its user-info API, read with the access token.
import { SignJWT, importPKCS8 } from 'jose';
import { BRANDS, type Brand } from './brands.js';

/** The kinds of provider this build knows; `oidc` is any OpenID Connect provider, by its issuer. */
export const PROVIDER_KINDS = [
  'google',
  'github',
  'microsoft',
  'apple',
  'facebook',
  'linkedin',
  'discord',
  'gitlab',
  'oidc',
] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** The user as a provider vouches for them, mapped to our fields. */
export interface Profile {
  /** The provider's stable id of the user (`sub`, GitHub's numeric id…). */
  subject: string;
  email: string | null;
  /** The provider asserts the user controls `email`. */
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
}

/** The endpoints of an OAuth 2.0 provider (OpenID Connect ones come from discovery). */
export interface OAuthEndpoints {
  authorization: URL;
  token: URL;
}

/** Reads the user of an OAuth 2.0 provider through its API. */
export type FetchJson = (url: URL) => Promise<unknown>;

export interface ProviderDefinition {
  kind: ProviderKind;
  /** The name on the button and the account page. */
  label: string;
  protocol: 'oidc' | 'oauth2';
  /** Its public address (issuer, or OAuth 2.0 base URL); absent: each tenant names it (generic OIDC). */
  defaultUrl?: string;
  /** May a tenant name the address (a self-hosted GitLab, any OIDC provider)? */
  tenantUrl?: boolean;
  scopes: readonly string[];
  /** How `scope` joins its values (Facebook documents commas). */
  scopeSeparator?: string;
  /** How the client authenticates at the token endpoint (generic OIDC: from discovery). */
  tokenAuth: 'client_secret_basic' | 'client_secret_post';
  /** PKCE is sent (S256) unless the provider is known to refuse it. */
  pkce: boolean;
  /** Extra authorization request parameters. */
  authorizationParams?: Readonly<Record<string, string>>;
  /** OpenID Connect: the issuer to discover, from the address and the tenant's options. */
  issuerOf?: (base: URL, options: ProviderOptions) => string;
  /**
   * OpenID Connect: the issuers the ID token may name. Default: the discovered one. (Microsoft's
   * multi-tenant endpoints publish a template, `{tenantid}`, filled in from the token's `tid`.)
   */
  acceptedIssuers?: (discovered: string, claims: Readonly<Record<string, unknown>>) => string[];
  /** OAuth 2.0: its endpoints. */
  endpoints?: (base: URL) => OAuthEndpoints;
  /** OAuth 2.0: the user, read from its API with the access token. */
  fetchProfile?: (base: URL, get: FetchJson) => Promise<Profile>;
  /** OpenID Connect: the user from the ID token's claims (with the UserInfo's when the token lacks them). */
  claims?: (claims: Readonly<Record<string, unknown>>) => Profile;
  /**
   * The client secret sent to the token endpoint, when it is not the stored secret itself (Apple: a
   * short-lived ES256 JWT signed with the stored private key).
   */
  clientSecret?: (args: ClientSecretArgs) => Promise<string>;
  /** A name the callback itself carries (Apple posts `user` once, on the first sign-in only). */
  nameFromCallback?: (user: string) => string | null;
  /** Its mark and colours on the sign-in button. */
  brand: Brand;
}

export interface ClientSecretArgs {
  clientId: string;
  /** The stored secret (Apple: the PKCS #8 private key, PEM). */
  secret: string;
  options: ProviderOptions;
  /** The provider's issuer (the audience of Apple's client secret). */
  issuer: string;
}

/** Per-tenant extras some providers need (Microsoft's tenant, Apple's team and key). */
export interface ProviderOptions {
  /** Microsoft: `common` (default), `organizations`, `consumers`, or a directory (tenant) id or domain. */
  tenant?: string;
  /** Apple: the Team ID of the developer account. */
  team_id?: string;
  /** Apple: the Key ID of the Sign in with Apple private key (the key itself is the client secret). */
  key_id?: string;
}

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
/** `email_verified` as providers send it: a boolean, or (Apple) the strings "true" / "false". */
const truthy = (value: unknown): boolean => value === true || value === 'true';

/** The standard claims (OpenID Connect Core §5.1), which most providers follow. */
export function standardClaims(claims: Readonly<Record<string, unknown>>): Profile {
  const given = str(claims.given_name);
  const family = str(claims.family_name);
  return {
    subject: String(claims.sub),
    email: str(claims.email),
    emailVerified: truthy(claims.email_verified),
    name: str(claims.name) ?? (given || family ? [given, family].filter(Boolean).join(' ') : null),
    picture: str(claims.picture),
  };
}

const url = (base: URL, path: string) => new URL(`${base.href.replace(/\/$/, '')}${path}`);

/** Microsoft's personal-accounts directory: Microsoft verified these addresses itself. */
const MSA_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const PROVIDERS: Readonly<Record<ProviderKind, ProviderDefinition>> = {
  google: {
    kind: 'google',
    label: 'Google',
    protocol: 'oidc',
    defaultUrl: 'https://accounts.google.com',
    scopes: ['openid', 'email', 'profile'],
    tokenAuth: 'client_secret_basic',
    pkce: true,
    // Google documents both forms of its issuer in ID tokens: with and without the scheme.
    acceptedIssuers: (discovered) => [discovered, discovered.replace(/^https?:\/\//, '')],
    claims: standardClaims,
    brand: BRANDS.google,
  },
  github: {
    kind: 'github',
    label: 'GitHub',
    protocol: 'oauth2',
    // github.com serves the OAuth endpoints and api.github.com the API; a configured URL (GitHub
    // Enterprise Server, a test double) serves both, the API under /api/v3.
    defaultUrl: 'https://github.com',
    scopes: ['read:user', 'user:email'],
    tokenAuth: 'client_secret_post',
    pkce: true,
    endpoints: (base) => ({
      authorization: url(base, '/login/oauth/authorize'),
      token: url(base, '/login/oauth/access_token'),
    }),
    async fetchProfile(base, get) {
      const api = base.hostname === 'github.com' ? new URL('https://api.github.com') : url(base, '/api/v3');
      const user = (await get(url(api, '/user'))) as Record<string, unknown>;
      // The primary address, and only if GitHub verified it; /user's `email` is the public one, unverified.
      const emails = await get(url(api, '/user/emails'));
      const primary = Array.isArray(emails)
        ? (emails as Record<string, unknown>[]).find((e) => e.primary === true && e.verified === true)
        : undefined;
      return {
        subject: String(user.id),
        email: str(primary?.email) ?? null,
        emailVerified: primary !== undefined,
        name: str(user.name) ?? str(user.login),
        picture: str(user.avatar_url),
      };
    },
    brand: BRANDS.github,
  },
  microsoft: {
    kind: 'microsoft',
    label: 'Microsoft',
    protocol: 'oidc',
    defaultUrl: 'https://login.microsoftonline.com',
    scopes: ['openid', 'email', 'profile'],
    tokenAuth: 'client_secret_post',
    pkce: true,
    issuerOf: (base, options) => url(base, `/${encodeURIComponent(options.tenant ?? 'common')}/v2.0`).href,
    // The common, organizations and consumers endpoints publish `…/{tenantid}/v2.0`: the token's issuer
    // is that, for the directory the user signed in with (its `tid`).
    acceptedIssuers: (discovered, claims) =>
      discovered.includes('{tenantid}')
        ? typeof claims.tid === 'string' && GUID.test(claims.tid)
          ? [discovered.replace('{tenantid}', claims.tid)]
          : []
        : [discovered],
    // Entra's `email` is whatever the directory holds, unverified: it counts as verified only with the
    // `xms_edov` optional claim (the domain's owner verified it) or for a personal Microsoft account.
    claims: (claims) => ({
      ...standardClaims(claims),
      emailVerified: truthy(claims.xms_edov) || claims.tid === MSA_TENANT,
    }),
    brand: BRANDS.microsoft,
  },
  apple: {
    kind: 'apple',
    label: 'Apple',
    protocol: 'oidc',
    defaultUrl: 'https://appleid.apple.com',
    scopes: ['openid', 'name', 'email'],
    tokenAuth: 'client_secret_post',
    // Apple documents neither PKCE nor rejects it; the nonce binds its ID token to this browser instead.
    pkce: false,
    // Asking for the name or email makes Apple post the answer back (form_post).
    authorizationParams: { response_mode: 'form_post' },
    claims: standardClaims,
    // Apple's client secret is a JWT the developer signs with a key from their account (ES256, at most
    // six months); ours lives five minutes, made for each exchange.
    async clientSecret({ clientId, secret, options, issuer }) {
      if (!options.team_id || !options.key_id)
        throw new Error('Apple needs options.team_id and options.key_id');
      return new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: options.key_id })
        .setIssuer(options.team_id)
        .setSubject(clientId)
        .setAudience(issuer)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(await importPKCS8(secret, 'ES256'));
    },
    // `user` ({"name":{"firstName","lastName"},"email"}) comes with the first authorization only.
    nameFromCallback(user) {
      try {
        const name = (JSON.parse(user) as { name?: { firstName?: unknown; lastName?: unknown } }).name;
        const parts = [str(name?.firstName), str(name?.lastName)].filter(Boolean);
        return parts.length > 0 ? parts.join(' ') : null;
      } catch {
        return null;
      }
    },
    brand: BRANDS.apple,
  },
  facebook: {
    kind: 'facebook',
    label: 'Facebook',
    protocol: 'oauth2',
    // www.facebook.com serves the dialog and graph.facebook.com the rest; a configured URL serves both.
    defaultUrl: 'https://www.facebook.com',
    scopes: ['email', 'public_profile'],
    scopeSeparator: ',',
    tokenAuth: 'client_secret_post',
    pkce: true,
    endpoints: (base) => ({
      authorization: url(base, '/v21.0/dialog/oauth'),
      token: url(graphOf(base), '/v21.0/oauth/access_token'),
    }),
    async fetchProfile(base, get) {
      const me = (await get(
        url(graphOf(base), '/v21.0/me?fields=id,name,email,picture.type(large)'),
      )) as Record<string, unknown>;
      const picture = (me.picture as { data?: { url?: unknown } } | undefined)?.data?.url;
      // Facebook returns `email` only when the user confirmed it.
      const email = str(me.email);
      return {
        subject: String(me.id),
        email,
        emailVerified: email !== null,
        name: str(me.name),
        picture: str(picture),
      };
    },
    brand: BRANDS.facebook,
  },
  linkedin: {
    kind: 'linkedin',
    label: 'LinkedIn',
    protocol: 'oidc',
    defaultUrl: 'https://www.linkedin.com/oauth',
    scopes: ['openid', 'profile', 'email'],
    // LinkedIn reads the client's credentials from the body only.
    tokenAuth: 'client_secret_post',
    // LinkedIn supports PKCE for native apps only; a web app's code is bound by the client secret.
    pkce: false,
    claims: standardClaims,
    brand: BRANDS.linkedin,
  },
  discord: {
    kind: 'discord',
    label: 'Discord',
    protocol: 'oauth2',
    defaultUrl: 'https://discord.com',
    scopes: ['identify', 'email'],
    tokenAuth: 'client_secret_basic',
    pkce: true,
    endpoints: (base) => ({
      authorization: url(base, '/oauth2/authorize'),
      token: url(base, '/api/oauth2/token'),
    }),
    async fetchProfile(base, get) {
      const me = (await get(url(base, '/api/users/@me'))) as Record<string, unknown>;
      const id = String(me.id);
      const avatar = str(me.avatar);
      return {
        subject: id,
        email: str(me.email),
        emailVerified: me.verified === true,
        name: str(me.global_name) ?? str(me.username),
        picture: avatar ? `https://cdn.discordapp.com/avatars/${id}/${avatar}.png` : null,
      };
    },
    brand: BRANDS.discord,
  },
  gitlab: {
    kind: 'gitlab',
    label: 'GitLab',
    protocol: 'oidc',
    defaultUrl: 'https://gitlab.com',
    tenantUrl: true,
    scopes: ['openid', 'profile', 'email'],
    tokenAuth: 'client_secret_basic',
    pkce: true,
    claims: standardClaims,
    brand: BRANDS.gitlab,
  },
  oidc: {
    kind: 'oidc',
    label: 'OpenID Connect',
    protocol: 'oidc',
    tenantUrl: true,
    scopes: ['openid', 'email', 'profile'],
    tokenAuth: 'client_secret_basic',
    pkce: true,
    claims: standardClaims,
    brand: BRANDS.oidc,
  },
};

/** Facebook's Graph API host: graph.facebook.com for the public site, the configured URL otherwise. */
function graphOf(base: URL): URL {
  return base.hostname === 'www.facebook.com' ? new URL('https://graph.facebook.com') : base;
}
