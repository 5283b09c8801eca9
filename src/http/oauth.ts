// The OAuth 2.0 / OpenID Connect endpoints of each issuer: discovery, authorization, token, UserInfo,
// revocation, introspection and RP-initiated logout. Routes parse the request, call the OAuthService,
// and shape the response; the protocol rules live in src/oauth/.
import formbody from '@fastify/formbody';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { JWT_BEARER_ASSERTION, type PresentedClient } from '../oauth/client-auth.js';
import { InvalidClient, InvalidRequest } from '../oauth/errors.js';
import type { Tenants } from '../tenants/tenants.js';
import { InvalidTokenError } from '../tokens/access-tokens.js';
import {
  csrfValid,
  currentSession,
  pageContext,
  sendErrorPage,
  sendHtml,
  sendOutcome,
  signedIn,
  type FlowDeps,
} from './authorization-flow.js';
import { bearerToken, metaOf, tenantOf } from './context.js';
import {
  BODY_ERRORS,
  FORM,
  SECURITY,
  errors,
  htmlPage,
  noContent,
  pageOrError,
  redirect,
  tenantPath,
} from './schemas/common.js';
import {
  AuthorizeParameters,
  DiscoveryDocument,
  IntrospectionResponse,
  LogoutParameters,
  TokenParameter,
  TokenRequest,
  TokenResponse,
  UserInfoRequest,
  UserInfoResponse,
} from './schemas/oauth.js';
import { signedInPage } from './views/next-steps.js';
import { loggedOutPage, logoutConfirmPage } from './views/pages.js';

export interface OAuthRoutesOptions extends FlowDeps {
  tenants: Tenants;
}

/** Endpoints a browser application on another origin calls directly: no cookies, so any origin. */
const CORS_PATHS = [
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
  '/oauth2/token',
  '/oauth2/revoke',
  '/userinfo',
];

export const oauthRoutes: FastifyPluginAsync<OAuthRoutesOptions> = async (plugin, options) => {
  const { tenants, oauth } = options;
  const app = plugin.withTypeProvider<TypeBoxTypeProvider>();
  const params = tenantPath(app.prefix, {});
  // Form-encoded bodies in this plugin's scope only (RFC 6749 §3.2); the JSON API stays JSON-only.
  await app.register(formbody, { bodyLimit: 64 * 1024 });

  const tenant = (request: FastifyRequest) => tenantOf(request, tenants);
  // Nothing here may be cached unless a route says so (discovery): tokens, errors, pages alike.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  const cors = (reply: FastifyReply) => {
    reply.header('access-control-allow-origin', '*');
    reply.header('access-control-allow-headers', 'authorization, content-type');
    reply.header('access-control-allow-methods', 'GET, POST');
    reply.header('access-control-max-age', '600');
  };
  for (const path of CORS_PATHS) {
    const schema = {
      summary: 'CORS preflight',
      tags: [path.startsWith('/.well-known') ? 'oidc' : 'oauth'],
      params,
      response: {
        204: noContent('Any origin may call this endpoint (without cookies).'),
        ...errors(),
      },
    };
    app.options(path, { schema }, async (_request, reply) => {
      cors(reply);
      return reply.code(204).send();
    });
  }
  const noStore = (reply: FastifyReply) => {
    reply.header('cache-control', 'no-store');
    reply.header('pragma', 'no-cache');
  };

  // --- discovery ---
  const discovery = async (request: FastifyRequest, reply: FastifyReply) => {
    const t = await tenant(request);
    cors(reply);
    reply.header('cache-control', 'public, max-age=300');
    return oauth.discovery(t);
  };
  const discoverySchema = (summary: string) => ({
    summary,
    tags: ['oidc'],
    params,
    response: { 200: DiscoveryDocument, ...errors(404) },
  });
  app.get(
    '/.well-known/openid-configuration',
    { schema: discoverySchema('OpenID Connect discovery metadata') },
    discovery,
  );
  app.get(
    '/.well-known/oauth-authorization-server',
    { schema: discoverySchema('OAuth 2.0 authorization server metadata (RFC 8414)') },
    discovery,
  );

  // --- authorization endpoint (GET and POST, OIDC Core §3.1.2.1) ---
  const authorize = async (
    request: FastifyRequest,
    reply: FastifyReply,
    raw: Record<string, string | string[]>,
  ) => {
    const t = await tenant(request);
    const session = await currentSession(options, request, t);
    const outcome = await oauth.authorize(t, raw, session ? signedIn(session) : null);
    return sendOutcome(options, reply, t, outcome);
  };
  const authorizeAnswers = {
    200: htmlPage('A form_post response: a page that posts the result to the client.'),
    303: redirect(
      'To the client with the result (code or error), or to the login or consent page.',
      'The redirect URI with the result in its query, or the hosted login or consent page.',
    ),
    ...errors(...BODY_ERRORS, 404),
    400: pageOrError(400, 'An error page: the request cannot be answered at the redirect URI.'),
  };
  const authorizeSchema = {
    summary: 'Authorization endpoint',
    description: 'OpenID Connect Core \u00a73.1.2.1: authorization code flow with PKCE.',
    tags: ['oauth'],
    security: SECURITY.sessionCookieOrNone,
    params,
  };
  app.get(
    '/oauth2/authorize',
    { schema: { ...authorizeSchema, querystring: AuthorizeParameters, response: authorizeAnswers } },
    (request, reply) => authorize(request, reply, request.query),
  );
  app.post(
    '/oauth2/authorize',
    {
      schema: { ...authorizeSchema, consumes: FORM, body: AuthorizeParameters, response: authorizeAnswers },
    },
    (request, reply) => authorize(request, reply, request.body),
  );
  const clientEndpoint = { tags: ['oauth'], security: SECURITY.client, params, consumes: FORM };

  // --- token endpoint ---
  app.post(
    '/oauth2/token',
    {
      schema: {
        ...clientEndpoint,
        summary: 'Token endpoint',
        body: TokenRequest,
        response: { 200: TokenResponse, ...errors(...BODY_ERRORS, 401, 404, 429) },
      },
    },
    async (request, reply) => {
      noStore(reply);
      cors(reply);
      const t = await tenant(request);
      const body = request.body;
      const client = await oauth.authenticateClient(t, presentedClient(request, body), metaOf(request));
      return oauth.token(t, client, body, metaOf(request));
    },
  );

  app.post(
    '/oauth2/revoke',
    {
      schema: {
        ...clientEndpoint,
        summary: 'Revoke a token (RFC 7009)',
        body: TokenParameter,
        response: {
          200: noContent('Revoked, or not a token of this client (RFC 7009 answers alike).'),
          ...errors(...BODY_ERRORS, 401, 404, 429),
        },
      },
    },
    async (request, reply) => {
      noStore(reply);
      cors(reply);
      const t = await tenant(request);
      const body = request.body;
      const client = await oauth.authenticateClient(t, presentedClient(request, body), metaOf(request));
      if (!body.token) throw new InvalidRequest('The token parameter is missing.');
      await oauth.revoke(t, client, body.token, metaOf(request));
      return reply.code(200).send();
    },
  );

  app.post(
    '/oauth2/introspect',
    {
      schema: {
        ...clientEndpoint,
        summary: 'Introspect a token (RFC 7662)',
        description: 'Confidential clients only.',
        body: TokenParameter,
        response: { 200: IntrospectionResponse, ...errors(...BODY_ERRORS, 401, 404, 429) },
      },
    },
    async (request, reply) => {
      noStore(reply);
      const t = await tenant(request);
      const body = request.body;
      const client = await oauth.authenticateClient(t, presentedClient(request, body), metaOf(request));
      if (!body.token) throw new InvalidRequest('The token parameter is missing.');
      return oauth.introspect(t, client, body.token);
    },
  );

  // --- UserInfo (OIDC Core §5.3): GET or POST, token in the header or (POST) the form body ---
  const userinfo = async (
    request: FastifyRequest,
    reply: FastifyReply,
    body: Record<string, string> | undefined,
  ) => {
    noStore(reply);
    cors(reply);
    const t = await tenant(request);
    const fromBody = body?.access_token;
    const header = request.headers.authorization;
    if (fromBody !== undefined && header !== undefined)
      throw new InvalidRequest('Send the access token in the header or the body, not both.');
    const token = fromBody ?? bearerToken(request);
    if (!token) throw new InvalidTokenError('An access token is required (Authorization: Bearer ...).');
    return oauth.userinfo(t, token);
  };
  const userinfoSchema = {
    summary: 'UserInfo (OpenID Connect Core \u00a75.3)',
    tags: ['oidc'],
    security: SECURITY.bearer,
    params,
    response: { 200: UserInfoResponse, ...errors(400, 401, 403, 404) },
  };
  app.get('/userinfo', { schema: userinfoSchema }, (request, reply) => userinfo(request, reply, undefined));
  app.post(
    '/userinfo',
    {
      schema: {
        ...userinfoSchema,
        description: 'The access token in the Authorization header or in the form body.',
        consumes: FORM,
        body: UserInfoRequest,
        response: { ...userinfoSchema.response, ...errors(...BODY_ERRORS, 401, 403, 404) },
      },
    },
    (request, reply) => userinfo(request, reply, request.body),
  );

  // --- RP-initiated logout (and the hosted /logout page, which is the same thing) ---
  const logout = async (
    request: FastifyRequest,
    reply: FastifyReply,
    raw: Record<string, string | string[]>,
  ) => {
    const t = await tenant(request);
    const { decision, csrf_token: csrfToken, ...logoutParams } = raw;
    // Only our own confirmation form, with a valid CSRF token, counts as the user's confirmation.
    const confirmed =
      request.method === 'POST' && decision === 'logout' && csrfValid(options, request, t, csrfToken);
    if (request.method === 'POST' && decision !== undefined && !csrfValid(options, request, t, csrfToken))
      return sendErrorPage(reply, t, 'form_expired', 'The CSRF token of the sign-out form is not valid.');
    const session = await currentSession(options, request, t);
    if (decision === 'cancel') {
      const ctx = pageContext(options, request, reply, t);
      return sendHtml(reply, 200, session ? signedInPage(ctx, { email: session.email }) : loggedOutPage(ctx));
    }
    const outcome = await oauth.logout(t, logoutParams, session ? signedIn(session) : null, confirmed);
    switch (outcome.kind) {
      case 'error_page':
        return sendErrorPage(reply, t, 'invalid_logout_request', outcome.error.description);
      case 'confirm': {
        const ctx = pageContext(options, request, reply, t);
        return sendHtml(reply, 200, logoutConfirmPage(ctx, { hidden: outcome.params }));
      }
      case 'done': {
        if (session) await oauth.endSession(t, signedIn(session), metaOf(request));
        options.cookies.clear(reply, 'session', t);
        options.cookies.clear(reply, 'interaction', t);
        if (outcome.redirectTo)
          return reply.header('cache-control', 'no-store').redirect(outcome.redirectTo, 303);
        const ctx = pageContext(options, request, reply, t);
        return sendHtml(reply, 200, loggedOutPage(ctx));
      }
    }
  };
  const logoutAnswers = {
    200: htmlPage('The confirmation page, or the signed-out page.'),
    303: redirect('Signed out: back to the client.', 'The post_logout_redirect_uri, with state.'),
    ...errors(...BODY_ERRORS, 404),
    400: pageOrError(400, 'An error page (the logout request is not valid).'),
    403: htmlPage('The confirmation form expired (its CSRF token is not valid).'),
  };
  for (const path of ['/oauth2/logout', '/logout']) {
    const logoutSchema = {
      summary: path === '/logout' ? 'Sign out (hosted page)' : 'RP-initiated logout',
      description:
        'OpenID Connect RP-Initiated Logout 1.0; asks the user to confirm unless the request proves itself.',
      tags: [path === '/logout' ? 'pages' : 'oidc'],
      security: SECURITY.sessionCookieOrNone,
      params,
      response: logoutAnswers,
    };
    app.get(path, { schema: { ...logoutSchema, querystring: LogoutParameters } }, (request, reply) =>
      logout(request, reply, request.query),
    );
    app.post(
      path,
      { schema: { ...logoutSchema, consumes: FORM, body: LogoutParameters } },
      (request, reply) => logout(request, reply, request.body),
    );
  }
};

/**
 * How the client authenticates (RFC 6749 §2.3.1, RFC 7523): HTTP Basic with form-encoded id and secret,
 * a secret in the body, a JWT assertion, or — public clients — only its client_id. More than one at once
 * is refused.
 */
function presentedClient(request: FastifyRequest, body: Record<string, string>): PresentedClient {
  const header = request.headers.authorization;
  const methods = [
    header !== undefined,
    body.client_secret !== undefined,
    body.client_assertion !== undefined,
  ];
  if (methods.filter(Boolean).length > 1)
    throw new InvalidRequest('Use exactly one client authentication method.');
  if (header !== undefined) {
    const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header.trim());
    if (!match) throw new InvalidClient('The Authorization header must use the Basic scheme.');
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new InvalidClient();
    const clientId = formDecode(decoded.slice(0, colon));
    const secret = formDecode(decoded.slice(colon + 1));
    if (body.client_id !== undefined && body.client_id !== clientId)
      throw new InvalidRequest('client_id does not match the Authorization header.');
    return { method: 'client_secret_basic', clientId, secret };
  }
  if (body.client_assertion !== undefined) {
    if (body.client_assertion_type !== JWT_BEARER_ASSERTION)
      throw new InvalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION}.`);
    return { method: 'private_key_jwt', clientId: body.client_id, assertion: body.client_assertion };
  }
  if (!body.client_id) throw new InvalidClient('Client authentication is required.');
  if (body.client_secret !== undefined)
    return { method: 'client_secret_post', clientId: body.client_id, secret: body.client_secret };
  return { method: 'none', clientId: body.client_id };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw new InvalidClient();
  }
}
