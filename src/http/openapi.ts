// The OpenAPI 3.1 document of everything the server answers, generated from the route schemas
// (@fastify/swagger collects them as routes are added, so this is registered before any route), served at
// GET /openapi.json, and a browsable reference at GET /docs (Scalar, whose script ships in its package and
// is served from here: the page loads nothing from other hosts, and its CSP says so).
//
// HEAD twins of GET routes (Fastify adds them) are left out: they answer like their GET without a body.
//
// The document is built at the first request for it, not at startup: @fastify/swagger and what it loads
// (a YAML library, a JSON Schema resolver) are ~1 MiB of heap an idle server would hold for nothing. The
// app records each route's method, URL, schema and config as it is added (those objects exist anyway), and
// the first GET /openapi.json replays them into a Fastify app of its own that has the plugin, with no-op
// validators (nothing is ever validated there), and keeps the resulting document.
import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type RouteOptions } from 'fastify';
import type { Config } from '../config.js';
import { DEFAULT_TENANT } from '../tenants/tenants.js';
import { VERSION } from '../version.js';
import { Cookies } from './cookies.js';
import { errors, htmlPage, redirect } from './schemas/common.js';
import { setPageSecurityHeaders } from './security-headers.js';

const TAGS = [
  { name: 'auth', description: 'First-party sign-up, sign-in and tokens (/v2/auth).' },
  { name: 'account', description: 'The signed-in user, their sessions, and the email flows.' },
  {
    name: 'mfa',
    description: 'Second factors: authenticator apps, recovery codes, the factor list (/v2/auth/mfa).',
  },
  {
    name: 'passkeys',
    description: 'Passkeys (WebAuthn): add one, sign in with one, list, rename and delete them.',
  },
  {
    name: 'social',
    description:
      'Social sign-in: leave for a provider, come back, the application code exchange (/v2/auth/social).',
  },
  { name: 'session', description: 'Browser sessions held in an HttpOnly cookie (/v2/session).' },
  { name: 'oauth', description: 'OAuth 2.0 endpoints: authorization, token, revocation, introspection.' },
  { name: 'oidc', description: 'OpenID Connect: discovery, signing keys, UserInfo, logout.' },
  { name: 'pages', description: 'The hosted HTML pages (sign in, create an account, consent, passwords).' },
  { name: 'admin', description: 'The installation-wide admin API (/v2/admin), with an admin token.' },
  {
    name: 'console',
    description: 'The admin console at /admin: its files, and where it signs in (/admin/config.json).',
  },
  { name: 'health', description: 'Liveness, readiness and metrics.' },
  { name: 'docs', description: 'This document and its browsable reference.' },
];

function securitySchemes(config: Config) {
  const cookie = new Cookies(config.sessions).name('session', { slug: DEFAULT_TENANT });
  return {
    bearer: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'An access token issued by the tenant (first-party API, browser session or OAuth).',
    },
    session_cookie: {
      type: 'apiKey',
      in: 'cookie',
      name: cookie,
      description: `The HttpOnly browser session cookie; for a tenant other than the default, \`${cookie}-{slug}\`.`,
    },
    admin_token: {
      type: 'http',
      scheme: 'bearer',
      description:
        'An admin API key (`hellojohn admin create`, or POST /v2/admin/api-keys), sent as ' +
        "`Authorization: Bearer <key>`; or the admin console's access token (docs/console.md).",
    },
    admin_api_key: {
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
      description: 'The same admin API key, sent as `X-API-Key: <key>`.',
    },
    client_basic: {
      type: 'http',
      scheme: 'basic',
      description:
        'client_secret_basic: the client id and secret (form-encoded). Clients may instead authenticate ' +
        'in the form body (client_secret_post, private_key_jwt) or, when public, by client_id alone.',
    },
    metrics_token: {
      type: 'http',
      scheme: 'bearer',
      description: 'METRICS_TOKEN, when the operator has set one.',
    },
  } as const;
}

/** What the document needs of a route, recorded as the app adds it. */
type RecordedRoute = Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config' | 'constraints'>;

/** The app's OpenAPI document, built at the first call. */
export type OpenApiDocument = () => Promise<unknown>;

/**
 * Records every route added to `app` from now on (so: before any route) and, once the app is ready, the
 * shared schemas of every plugin context, as @fastify/swagger would; the answer builds the document.
 */
export function registerOpenApi(app: FastifyInstance, config: Config): OpenApiDocument {
  const routes: RecordedRoute[] = [];
  const schemas = new Map<string, unknown>();
  const contexts: FastifyInstance[] = [];
  app.addHook('onRoute', ({ method, url, schema, config, constraints }) => {
    // Fastify's own HEAD twins of GET routes stay out, as in the plugin's default.
    if (method === 'HEAD') return;
    routes.push({ method, url, schema, config, constraints });
  });
  app.addHook('onRegister', (instance) => {
    contexts.push(instance);
  });
  app.addHook('onReady', (done) => {
    for (const context of [...contexts, app]) {
      for (const [id, schema] of Object.entries(context.getSchemas())) schemas.set(id, schema);
    }
    contexts.length = 0;
    done();
  });
  return () => buildDocument(routes, schemas, config);
}

/** The OpenAPI document of the recorded routes, built by @fastify/swagger. */
async function buildDocument(
  routes: readonly RecordedRoute[],
  schemas: ReadonlyMap<string, unknown>,
  config: Config,
): Promise<unknown> {
  const { default: swagger } = await import('@fastify/swagger');
  const doc = Fastify({ logger: false });
  doc.setValidatorCompiler(() => () => true);
  doc.setSerializerCompiler(() => (data) => JSON.stringify(data));
  for (const schema of schemas.values()) doc.addSchema(schema);
  await doc.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'HelloJohn',
        version: VERSION,
        description:
          'Identity platform: OAuth 2.0 / OpenID Connect provider and first-party auth API. Every ' +
          'tenant-scoped route answers at the root (the default tenant) and under `/t/{tenant}`. ' +
          'Errors are JSON: `{"error", "error_description", "request_id"}`.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      tags: TAGS,
      components: { securitySchemes: securitySchemes(config) },
    },
    // The /t/{tenant} twin of a route says so in its summary: a reference listing two identical names
    // reads as a mistake.
    transform: ({ schema, url }) => ({
      url,
      schema:
        url.startsWith('/t/:tenant') && typeof schema?.summary === 'string'
          ? { ...schema, summary: `${schema.summary} (tenant)` }
          : schema,
    }),
    // Shared schemas keep their $id as their component name (ErrorResponse).
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  await doc.register(async (scope) => {
    for (const route of routes) {
      scope.route({ ...route, exposeHeadRoute: false, handler: () => undefined });
    }
  });
  await doc.ready();
  const document = doc.swagger();
  await doc.close();
  return document;
}

/** GET /openapi.json and GET /docs; registered once, at the root (one document for every tenant). */
export const openApiRoutes: FastifyPluginAsync<{ document: OpenApiDocument }> = async (app, options) => {
  let document: Promise<string> | undefined;
  app.get(
    '/openapi.json',
    {
      schema: {
        summary: 'This OpenAPI 3.1 document',
        tags: ['docs'],
        response: {
          200: {
            description: 'The OpenAPI document.',
            content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
          },
          ...errors(),
        },
      },
    },
    async (_request, reply) => {
      // Complete only once every route is registered; then it does not change. A failed build is not kept.
      document ??= options.document().then(JSON.stringify, (error: unknown) => {
        document = undefined;
        throw error;
      });
      return reply.type('application/json; charset=utf-8').send(await document);
    },
  );
  await app.register(docsRoutes);
};

/** What the reference's own routes answer (the plugin adds them hidden; the document lists them). */
const DOCS_SCHEMAS: Record<string, RouteOptions['schema']> = {
  '/docs': {
    summary: 'The API reference (redirects to /docs/)',
    tags: ['docs'],
    response: { 301: redirect('To /docs/.'), ...errors() },
  },
  '/docs/': {
    summary: 'The browsable API reference',
    tags: ['docs'],
    response: { 200: htmlPage('The reference page (it loads this document).'), ...errors() },
  },
  '/docs/js/scalar.js': {
    summary: 'The reference page\u2019s script',
    tags: ['docs'],
    response: {
      200: {
        description: 'The script (from the @scalar/fastify-api-reference package).',
        content: { 'application/javascript': { schema: { type: 'string' } } },
      },
      ...errors(),
    },
  },
};

const docsRoutes: FastifyPluginAsync = async (app) => {
  // The page runs one inline script (the reference's configuration) besides its own file: allowed by hash.
  const scriptHashes = new Map<string, string>();
  app.addHook('onSend', (request, reply, payload, done) => {
    if (typeof payload !== 'string' || !String(reply.getHeader('content-type')).startsWith('text/html')) {
      done(null, payload);
      return;
    }
    let hashes = scriptHashes.get(payload);
    if (hashes === undefined) {
      hashes = [...payload.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)]
        .map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`)
        .join(' ');
      scriptHashes.set(payload, hashes);
    }
    reply.header(
      'content-security-policy',
      [
        "default-src 'none'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'none'",
        `script-src 'self' ${hashes}`,
        // The reference injects its stylesheet at run time.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        // It fetches this document, and "try it" requests go to this server only.
        "connect-src 'self'",
        "worker-src 'self' blob:",
      ].join('; '),
    );
    setPageSecurityHeaders(reply);
    request.log.debug('api reference page');
    done(null, payload);
  });
  // The reference's package holds its ~5 MB script as a string from the moment it is imported (about a
  // fifth of an idle server's heap): it is imported at the first request for /docs, into a Fastify app
  // of its own that these routes answer from.
  let reference: Promise<FastifyInstance> | undefined;
  const load = () =>
    (reference ??= loadReference().catch((error: unknown) => {
      reference = undefined;
      throw error;
    }));
  for (const [url, schema] of Object.entries(DOCS_SCHEMAS)) {
    app.get(url, { schema }, async (request, reply) => {
      const answer = await (await load()).inject({ method: 'GET', url: request.url });
      for (const name of ['content-type', 'location'] as const) {
        const value = answer.headers[name];
        if (value !== undefined) reply.header(name, value);
      }
      reply.code(answer.statusCode);
      // HTML as a string: the onSend hook above hashes its inline script for the CSP.
      return reply.send(url === '/docs/' ? answer.payload : answer.rawPayload);
    });
  }
};

async function loadReference(): Promise<FastifyInstance> {
  const { default: apiReference } = await import('@scalar/fastify-api-reference');
  const reference = Fastify({ logger: false });
  await reference.register(apiReference, {
    routePrefix: '/docs',
    configuration: {
      url: '../openapi.json',
      pageTitle: 'HelloJohn API reference',
      // Nothing from other hosts: no web fonts (fonts.scalar.com), no telemetry, no hosted AI agent or MCP.
      withDefaultFonts: false,
      telemetry: false,
      hideClientButton: false,
      showDeveloperTools: 'never',
      mcp: { disabled: true },
      agent: { disabled: true },
    },
  });
  await reference.ready();
  return reference;
}
