// A minimal Express application that signs its users in with HelloJohn: OpenID Connect authorization code
// flow with PKCE, state and nonce, through openid-client v6. Sessions are kept in this process's memory.
// It is meant to be read and copied: see README.md next to this file for how to run it.
//
//   GET  /          who is signed in (the ID token's claims), or a "Sign in" link
//   GET  /login     starts a sign-in: redirects to HelloJohn's authorization endpoint
//   GET  /callback  HelloJohn redirects back here; exchanges the code for tokens
//   GET  /logout    forgets the local session and signs out at HelloJohn (RP-initiated logout)
//
// Configuration (environment):
//   ISSUER         HelloJohn issuer: BASE_URL for the default tenant, BASE_URL/t/{slug} for others
//                  (default http://localhost:8080)
//   CLIENT_ID      the client_id printed by `hellojohn clients create` (required)
//   CLIENT_SECRET  its secret, for a confidential client (client_secret_basic); unset for a public client
//   APP_URL        where this app is reached (default http://localhost:3000); the client must be
//                  registered with APP_URL/callback as redirect URI and APP_URL/ as post-logout URI
//   PORT, HOST     where to listen (default: the port of APP_URL, on all interfaces)
//
// Not production code: sessions live in memory and are lost on restart, and there is no HTTPS. Keep the
// protocol parts (state, nonce, PKCE, exact redirect URIs, id_token_hint) as they are.
import { randomBytes } from 'node:crypto';
import { setInterval } from 'node:timers';
import express from 'express';
import * as oidc from 'openid-client';

/* eslint-disable no-restricted-properties -- a standalone program: its configuration is the environment */
const ISSUER = new URL(process.env.ISSUER ?? 'http://localhost:8080');
const CLIENT_ID = process.env.CLIENT_ID;
const CLIENT_SECRET = process.env.CLIENT_SECRET || undefined;
const APP_URL = (process.env.APP_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
const PORT = Number(process.env.PORT || new URL(APP_URL).port || 3000);
const HOST = process.env.HOST || undefined;
/* eslint-enable no-restricted-properties */

if (!CLIENT_ID) {
  console.error('CLIENT_ID is required (see README.md)');
  process.exit(2);
}

const REDIRECT_URI = `${APP_URL}/callback`;
const POST_LOGOUT_REDIRECT_URI = `${APP_URL}/`;
const SCOPE = 'openid profile email';
const PENDING_LOGIN_MS = 10 * 60 * 1000;

// --- the OpenID provider, discovered once (and retried on the next request if it was unreachable) ---

let configuration;
function provider() {
  configuration ??= oidc
    .discovery(
      ISSUER,
      CLIENT_ID,
      // The ID token algorithm the client was registered with (`--id-token-alg`, RS256 by default).
      { id_token_signed_response_alg: 'RS256' },
      // HelloJohn accepts only the authentication method the client was registered with: a confidential
      // client created by the CLI uses client_secret_basic, a public client none (PKCE protects it).
      CLIENT_SECRET ? oidc.ClientSecretBasic(CLIENT_SECRET) : oidc.None(),
      // openid-client refuses plain http. Allow it only for an issuer on this machine (development);
      // anything else must be https, or tokens and codes would cross the network in clear text.
      isLocalHttp(ISSUER) ? { execute: [oidc.allowInsecureRequests] } : undefined,
    )
    .catch((error) => {
      configuration = undefined;
      throw error;
    });
  return configuration;
}

function isLocalHttp(url) {
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

// --- sessions: a random id in an HttpOnly cookie, the data in memory ---
// (express-session with a persistent store does the same job in a real application.)

const COOKIE = 'app_session';
const COOKIE_OPTIONS = {
  httpOnly: true,
  // Lax: the cookie still comes along when HelloJohn redirects the browser back to /callback.
  sameSite: 'lax',
  secure: APP_URL.startsWith('https:'),
  path: '/',
};

/** @type {Map<string, { login?: { verifier: string, state: string, nonce: string, at: number }, user?: { claims: object, idToken: string, accessToken: string, refreshToken?: string } }>} */
const sessions = new Map();

/** Middleware: `req.session` is `{ id, data }` when the request carries a known session cookie. */
function loadSession(req, _res, next) {
  const id = cookieValue(req.get('cookie'), COOKIE);
  req.session = id && sessions.has(id) ? { id, data: sessions.get(id) } : null;
  next();
}

function cookieValue(header = '', name) {
  for (const pair of header.split(';')) {
    const [key, ...value] = pair.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** Replaces the request's session by a new one with a new id: an id never outlives a sign-in step
 *  (against session fixation). */
function startSession(req, res, data) {
  if (req.session) sessions.delete(req.session.id);
  const id = randomBytes(32).toString('base64url');
  sessions.set(id, data);
  req.session = { id, data };
  res.cookie(COOKIE, id, { ...COOKIE_OPTIONS, maxAge: 8 * 60 * 60 * 1000 });
}

function endSession(req, res) {
  if (req.session) sessions.delete(req.session.id);
  req.session = null;
  res.clearCookie(COOKIE, COOKIE_OPTIONS);
}

// Forget sign-ins that were started and never finished.
setInterval(() => {
  for (const [id, data] of sessions)
    if (data.login && Date.now() - data.login.at > PENDING_LOGIN_MS) sessions.delete(id);
}, 60_000).unref();

// --- the application ---

const app = express();
app.disable('x-powered-by');
app.use((_req, res, next) => {
  // Pages with tokens' claims in them: never cached, no scripts.
  res.set({
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  next();
});
app.use(loadSession);

app.get('/', (req, res) => {
  const user = req.session?.data.user;
  if (!user) {
    return page(res, 200, 'Signed out', '<p>You are not signed in.</p><p><a href="/login">Sign in</a></p>');
  }
  const { email, name, sub } = user.claims;
  page(
    res,
    200,
    'Signed in',
    `<p>Signed in as <strong>${escape(email ?? name ?? sub)}</strong>.</p>
<p><a href="/logout">Sign out</a></p>
<h2>ID token claims</h2>
<pre>${escape(JSON.stringify(user.claims, null, 2))}</pre>`,
  );
});

app.get('/login', async (req, res) => {
  const config = await provider();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  // A sign-in always starts from a fresh session.
  startSession(req, res, { login: { verifier, state, nonce, at: Date.now() } });
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  res.redirect(url.href);
});

app.get('/callback', async (req, res) => {
  const pending = req.session?.data.login;
  if (!pending || Date.now() - pending.at > PENDING_LOGIN_MS) {
    return page(res, 400, 'Sign-in failed', '<p>No sign-in in progress. <a href="/login">Try again</a></p>');
  }
  const config = await provider();
  // The URL HelloJohn redirected to, on our public address: openid-client sends it (without its query)
  // as redirect_uri, which must equal the one of the authorization request.
  const currentUrl = new URL(req.originalUrl, APP_URL);
  let tokens;
  try {
    // Checks state, iss (RFC 9207), the PKCE verifier at the token endpoint, and the ID token: signature,
    // issuer, audience, expiry, nonce and at_hash.
    tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    endSession(req, res);
    console.error('sign-in failed:', error);
    const reason = error.error_description ?? error.error ?? error.message;
    return page(
      res,
      400,
      'Sign-in failed',
      `<p>Sign-in failed: ${escape(reason)}</p><p><a href="/login">Try again</a></p>`,
    );
  }
  startSession(req, res, {
    user: {
      claims: tokens.claims(),
      idToken: tokens.id_token,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
    },
  });
  // Away from the URL with the code in it.
  res.redirect('/');
});

app.get('/logout', async (req, res) => {
  const user = req.session?.data.user;
  endSession(req, res);
  if (!user) return res.redirect('/');
  const config = await provider();
  // With id_token_hint HelloJohn signs the user out at once (no confirmation page) and redirects to
  // post_logout_redirect_uri, which must be registered for the client exactly as written here.
  const url = oidc.buildEndSessionUrl(config, {
    id_token_hint: user.idToken,
    post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI,
  });
  res.redirect(url.href);
});

app.use((_req, res) => page(res, 404, 'Not found', '<p>Not found. <a href="/">Home</a></p>'));

// Express 5 sends a rejected async handler here. The one thing that can fail is reaching HelloJohn.
app.use((error, _req, res, next) => {
  console.error(error);
  if (res.headersSent) return next(error);
  page(res, 502, 'Error', '<p>The identity provider could not be reached.</p>');
});

function page(res, status, title, body) {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>` +
        `<body><h1>${escape(title)}</h1>${body}</body></html>`,
    );
}

function escape(value) {
  return String(value).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

const server = app.listen(PORT, HOST, (error) => {
  if (error) throw error;
  console.log(`example app listening on ${APP_URL} (issuer ${ISSUER.href})`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
