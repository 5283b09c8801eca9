// The admin console at /admin, installation-wide (ModuleParts.siteRoutes): its built files, index.html for
// every other path under /admin (the single-page app's own routes, like /admin/users/123), and
// /admin/config.json (where it signs in). Hashed assets are cached for a year; index.html never, so a new
// build is picked up at once. The pages' policy allows the console's own scripts only: no inline script.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HelloJohnError } from '../../errors.js';
import { errors, htmlPage, pageOrError } from '../../http/schemas/common.js';
import { setPageSecurityHeaders } from '../../http/security-headers.js';
import type { ConsoleFile, ConsoleFiles } from './files.js';
import { pathSegments } from './files.js';
import { ConsoleConfigJson, ConsolePathParams, FirstAdminBody, FirstAdminJson } from './schemas.js';
import type { ConsoleService, FirstRunOrigin } from './service.js';

export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const ASSET_CACHE = 'public, max-age=31536000, immutable';
/** Unhashed files of the build (a favicon): kept briefly, so a new build shows within minutes. */
const FILE_CACHE = 'public, max-age=300';

const common = { tags: ['console'] };
const pageAnswers = {
  ...errors(),
  200: htmlPage('The console (its index.html), or one of its files.'),
  503: pageOrError(503, 'The console is not built (a page saying to run `npm run build`).'),
};

export function consoleRoutes(service: ConsoleService, files: ConsoleFiles): FastifyPluginAsync {
  // Hashed assets never change under one name: each is compressed once, on its first request (the
  // console's script is ~900 KiB, ~240 KiB gzipped).
  const gzipped = new Map<string, Buffer>();
  const body = (request: FastifyRequest, reply: FastifyReply, name: string, file: ConsoleFile): Buffer => {
    if (!COMPRESSIBLE.test(file.type)) return file.body;
    reply.header('vary', 'accept-encoding');
    if (!/\bgzip\b/i.test(String(request.headers['accept-encoding'] ?? ''))) return file.body;
    let packed = gzipped.get(name);
    if (!packed) {
      packed = gzipSync(file.body, { level: 9 });
      gzipped.set(name, packed);
    }
    reply.header('content-encoding', 'gzip');
    return packed;
  };

  return async (plugin) => {
    const app = plugin.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/admin/config.json',
      {
        schema: {
          ...common,
          summary: 'Where the admin console signs in',
          description:
            'The issuer (the operators\u2019 tenant), the console\u2019s client and redirect URIs, and whether a ' +
            'console admin exists yet (false: the console shows how to create the first one).',
          response: { 200: ConsoleConfigJson, ...errors() },
        },
      },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        const adminExists = await service.adminExists();
        return {
          ...service.links(),
          admin_exists: adminExists,
          first_run_open: !adminExists && service.firstRunAllowed(firstRunOrigin(request)),
        };
      },
    );

    app.post(
      '/v2/admin/register',
      {
        schema: {
          ...common,
          summary: 'Create the first admin (first run of a local install only)',
          description:
            'Only while no console admin exists, on a local install (BASE_URL on a loopback host), for a ' +
            'JSON request from this machine that no proxy forwarded (403 otherwise). Makes an account of the ' +
            'operators\u2019 tenant holding the admin role, like `hellojohn admin create <email> --console`; ' +
            'it then signs in to the console through the hosted login.',
          body: FirstAdminBody,
          response: { 201: FirstAdminJson, ...errors(400, 403, 415) },
        },
      },
      async (request, reply) => {
        // JSON only: a form another site posts in the operator's browser cannot be JSON without CORS.
        if (!/^application\/json\b/i.test(String(request.headers['content-type'] ?? '')))
          throw new HelloJohnError('unsupported_media_type', 'Send the body as application/json.');
        const { email, password } = request.body;
        const made = await service.registerFirst(email, password, firstRunOrigin(request));
        reply.header('cache-control', 'no-store');
        return reply.code(201).send({ user_id: made.userId, email });
      },
    );

    app.get(
      '/admin',
      { schema: { ...common, summary: 'The admin console', response: pageAnswers } },
      (request, reply) => serve(request, reply, ''),
    );
    app.get(
      '/admin/*',
      {
        schema: {
          ...common,
          summary: 'The admin console: its files, and its pages',
          description:
            '`assets/*` are the build\u2019s files (404 when missing); any other path answers the console\u2019s ' +
            'index.html, whose own router shows the page.',
          params: ConsolePathParams,
          response: { ...pageAnswers, ...errors(400, 404) },
        },
      },
      (request, reply) => serve(request, reply, request.params['*']),
    );
  };

  async function serve(request: FastifyRequest, reply: FastifyReply, rest: string): Promise<FastifyReply> {
    reply.header('content-security-policy', CONSOLE_CSP);
    setPageSecurityHeaders(reply);
    const segments = pathSegments(rest);
    if (!segments) throw new HelloJohnError('not_found', 'No such file.');
    if (segments[0] === 'assets') {
      const asset = await files.file(segments);
      if (!asset) throw new HelloJohnError('not_found', 'No such file of the console.');
      return reply
        .header('cache-control', ASSET_CACHE)
        .type(asset.type)
        .send(body(request, reply, segments.join('/'), asset));
    }
    const index = await files.file(['index.html']);
    if (!index) {
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(NOT_BUILT_PAGE);
    }
    const file = segments.length > 0 && segments.at(-1) !== 'index.html' ? await files.file(segments) : null;
    if (file) return reply.header('cache-control', FILE_CACHE).type(file.type).send(file.body);
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(index.body);
  }
}

/** Where a request came from, as the first-run rule needs it: the socket, never a forwarded address. */
function firstRunOrigin(request: FastifyRequest): FirstRunOrigin {
  const headers = request.headers;
  return {
    socketAddress: request.socket.remoteAddress,
    proxied: ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'].some((h) => h in headers),
    origin: typeof headers.origin === 'string' ? headers.origin : undefined,
  };
}

const COMPRESSIBLE = /^(text\/|application\/(javascript|json)|image\/svg)/;

/** What /admin answers when dist/console is missing: a constant page, no script (the CSP allows its style). */
const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Admin console not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}</style></head>
<body>
<h1>The admin console is not built</h1>
<p>This server has no <code>dist/console</code>. Build it with <code>npm run build</code> (or install a
release package, which includes it), then reload this page.</p>
<p>The admin API works without it: see <code>docs/admin.md</code>.</p>
</body>
</html>`;
