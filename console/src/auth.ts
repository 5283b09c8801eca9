// The console signs in like any other application: authorization code with PKCE against the operators'
// tenant of this same server (its issuer and client id come from /admin/config.json). Tokens live in
// sessionStorage: they end with the tab, and a revoked session ends them at the next API call.
import * as oauth from 'oauth4webapi';

export interface ConsoleConfig {
  issuer: string;
  client_id: string;
  redirect_uri: string;
  post_logout_redirect_uri: string;
  admin_exists: boolean;
  /** This browser may create the first admin here (a local install, before any admin exists). */
  first_run_open: boolean;
}

interface Tokens {
  accessToken: string;
  refreshToken: string | null;
  idToken: string | null;
  /** Epoch ms after which the access token is refreshed before use. */
  refreshAfter: number;
}

const TOKENS = 'hellojohn.console.tokens';
const PENDING = 'hellojohn.console.pending';

let config: Promise<ConsoleConfig> | null = null;
let server: Promise<oauth.AuthorizationServer> | null = null;

export function consoleConfig(): Promise<ConsoleConfig> {
  config ??= fetch('/admin/config.json', { headers: { accept: 'application/json' } }).then(async (r) => {
    if (!r.ok) throw new Error(`The console's configuration could not be read (HTTP ${r.status}).`);
    return (await r.json()) as ConsoleConfig;
  });
  return config;
}

// Plain http is allowed only when the server itself runs on http (a local install): the issuer is ours.
function httpOptions(issuer: URL) {
  return issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
}

async function authorizationServer(): Promise<{ as: oauth.AuthorizationServer; cfg: ConsoleConfig }> {
  const cfg = await consoleConfig();
  const issuer = new URL(cfg.issuer);
  server ??= oauth
    .discoveryRequest(issuer, { algorithm: 'oidc', ...httpOptions(issuer) })
    .then((response) => oauth.processDiscoveryResponse(issuer, response));
  return { as: await server, cfg };
}

function client(cfg: ConsoleConfig): oauth.Client {
  return { client_id: cfg.client_id };
}

function save(response: oauth.TokenEndpointResponse, previous?: Tokens): void {
  const lifetime = (response.expires_in ?? 300) * 1000;
  const tokens: Tokens = {
    accessToken: response.access_token,
    refreshToken: response.refresh_token ?? previous?.refreshToken ?? null,
    idToken: response.id_token ?? previous?.idToken ?? null,
    // Refresh a little early so a request never leaves with a token about to expire.
    refreshAfter: Date.now() + Math.max(lifetime - 30_000, lifetime / 2),
  };
  sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
}

function stored(): Tokens | null {
  const raw = sessionStorage.getItem(TOKENS);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Tokens;
  } catch {
    return null;
  }
}

export function forget(): void {
  sessionStorage.removeItem(TOKENS);
}

export function signedIn(): boolean {
  return stored() !== null;
}

/** Sends the browser to the hosted login; `returnTo` is a console path to come back to. */
export async function signIn(returnTo = '/admin/'): Promise<never> {
  const { as, cfg } = await authorizationServer();
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: cfg.client_id,
    redirect_uri: cfg.redirect_uri,
    response_type: 'code',
    // No offline_access: the console's tokens end with the sign-in session they came from.
    scope: 'openid profile email',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  window.location.assign(url.toString());
  return new Promise<never>(() => {});
}

/** Finishes the sign-in on /admin/callback; answers the console path to go to. */
export async function completeSignIn(currentUrl: URL): Promise<string> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null') as {
    verifier: string;
    state: string;
    returnTo: string;
  } | null;
  sessionStorage.removeItem(PENDING);
  if (!pending) throw new Error('This sign-in was not started here, or was already finished. Sign in again.');
  const { as, cfg } = await authorizationServer();
  const params = oauth.validateAuthResponse(as, client(cfg), currentUrl, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client(cfg),
    oauth.None(),
    params,
    cfg.redirect_uri,
    pending.verifier,
    httpOptions(new URL(cfg.issuer)),
  );
  save(await oauth.processAuthorizationCodeResponse(as, client(cfg), response));
  return pending.returnTo.startsWith('/admin/') ? pending.returnTo : '/admin/';
}

let refreshing: Promise<string | null> | null = null;

async function refresh(tokens: Tokens): Promise<string | null> {
  if (!tokens.refreshToken) return null;
  const { as, cfg } = await authorizationServer();
  try {
    const response = await oauth.refreshTokenGrantRequest(
      as,
      client(cfg),
      oauth.None(),
      tokens.refreshToken,
      httpOptions(new URL(cfg.issuer)),
    );
    const result = await oauth.processRefreshTokenResponse(as, client(cfg), response);
    save(result, tokens);
    return result.access_token;
  } catch {
    // Revoked or expired: the session is over.
    forget();
    return null;
  }
}

/** A usable access token (refreshed when due), or null when the console must sign in again. */
export async function accessToken(options: { forceRefresh?: boolean } = {}): Promise<string | null> {
  const tokens = stored();
  if (!tokens) return null;
  if (!options.forceRefresh && Date.now() < tokens.refreshAfter) return tokens.accessToken;
  refreshing ??= refresh(tokens).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** Ends the console's session at the provider (RP-initiated logout) and here. */
export async function signOut(): Promise<never> {
  const tokens = stored();
  forget();
  const { as, cfg } = await authorizationServer();
  if (!as.end_session_endpoint) {
    window.location.assign('/admin/');
    return new Promise<never>(() => {});
  }
  const url = new URL(as.end_session_endpoint);
  url.searchParams.set('client_id', cfg.client_id);
  url.searchParams.set('post_logout_redirect_uri', cfg.post_logout_redirect_uri);
  if (tokens?.idToken) url.searchParams.set('id_token_hint', tokens.idToken);
  window.location.assign(url.toString());
  return new Promise<never>(() => {});
}
