// The error vocabulary (src/errors.ts) is closed: no error outside it can be raised, and the HTTP status
// and headers of every response come from the error itself, the same way for every route.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import { WeakPasswordError } from '../src/auth/password-policy.js';
import {
  HelloJohnError,
  MigrationError,
  ServiceUnavailableError,
  errorCodes,
  isErrorCode,
  statusOf,
  type ErrorCode,
} from '../src/errors.js';
import { asHelloJohnError, clientErrorResponse, registerErrorHandling } from '../src/http/errors.js';
import * as oauthErrors from '../src/oauth/errors.js';
import { RateLimitedError } from '../src/security/rate-limit.js';
import { InvalidTokenError } from '../src/tokens/access-tokens.js';

/** The codes whose answer says when to retry, and those that carry an authentication challenge. */
const RETRY_AFTER: Partial<Record<ErrorCode, string>> = { rate_limited: '7', service_unavailable: '3' };
const CHALLENGES: Partial<Record<ErrorCode, string>> = {
  invalid_token: 'Bearer error="invalid_token"',
  insufficient_scope: 'Bearer error="insufficient_scope"',
  invalid_client: 'Basic realm="hellojohn"',
};

/** An error of `code` as a service would raise it. */
function errorOf(code: ErrorCode): HelloJohnError {
  if (code === 'rate_limited') return new RateLimitedError(7);
  if (code === 'service_unavailable') return new ServiceUnavailableError('down', 3);
  return new HelloJohnError(code, `a ${code} error`);
}

/** A bare app with the application's error handling and one route that throws `error`. */
async function appThrowing(error: () => unknown): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: 64 });
  registerErrorHandling(app);
  app.get('/throw', async () => {
    throw error();
  });
  app.post(
    '/echo',
    { schema: { body: { type: 'object', required: ['name'] } } },
    async (request) => request.body,
  );
  await app.ready();
  return app;
}

describe('the set of error codes', () => {
  test('lists each code once, each with a 4xx or 5xx status', () => {
    assert.equal(new Set(errorCodes).size, errorCodes.length);
    assert.ok(errorCodes.length > 20);
    for (const code of errorCodes) {
      assert.match(code, /^[a-z]+(?:_[a-z]+)*$/);
      const status = statusOf(code);
      assert.ok(status >= 400 && status <= 599, `${code}: ${status}`);
    }
  });

  test('agrees with the table of docs/authentication.md', () => {
    const rows = [
      ...readFileSync('docs/authentication.md', 'utf8').matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm),
    ];
    assert.ok(rows.length >= 10, 'the error table was found');
    for (const [, code, status] of rows) {
      assert.ok(isErrorCode(code), `${code} is documented but not in the set`);
      assert.equal(statusOf(code), Number(status), code);
    }
  });

  test('an unknown code cannot be constructed, even past the types', () => {
    // @ts-expect-error: not a code of the vocabulary (a typecheck-level guarantee as well).
    assert.throws(() => new HelloJohnError('no_such_code', 'x'), TypeError);
    for (const name of ['', 'toString', '__proto__', 'constructor', 'Invalid_Request', 'invalid_request ']) {
      assert.throws(() => Reflect.construct(HelloJohnError, [name, 'x']), TypeError, JSON.stringify(name));
    }
    assert.equal(isErrorCode('hasOwnProperty'), false);
  });

  test('Retry-After codes cannot be raised without the seconds', () => {
    // @ts-expect-error: rate_limited is raised with retryAfterSeconds (RateLimitedError).
    assert.throws(() => new HelloJohnError('rate_limited', 'x'), TypeError);
    assert.throws(() => Reflect.construct(HelloJohnError, ['service_unavailable', 'x', {}]), TypeError);
    assert.throws(
      () => new HelloJohnError('service_unavailable', 'x', { retryAfterSeconds: Number.NaN }),
      TypeError,
    );
  });

  test('every exported error class and mapping yields a code of the set', () => {
    const raised: HelloJohnError[] = [
      new InvalidTokenError(),
      new RateLimitedError(0.2),
      new ServiceUnavailableError('down'),
      new MigrationError('edited'),
      new WeakPasswordError([{ code: 'too_short', message: 'Too short.' }]),
    ];
    // The family's base takes a code like HelloJohnError, and refuses unknown ones the same way.
    assert.throws(() => Reflect.construct(oauthErrors.OAuthError, ['described', 'x']), TypeError);
    for (const exported of Object.values(oauthErrors)) {
      if (exported === oauthErrors.OAuthError) continue;
      const error: unknown = Reflect.construct(exported, ['described']);
      assert.ok(error instanceof HelloJohnError);
      raised.push(error);
    }
    // Framework and unexpected errors, with any status a library might set.
    for (let status = 100; status < 600; status++) {
      raised.push(asHelloJohnError(Object.assign(new Error('x'), { statusCode: status })));
    }
    raised.push(asHelloJohnError(new SyntaxError('x')), asHelloJohnError(new TypeError('x')));
    for (const error of raised) {
      assert.ok(isErrorCode(error.code), `${error.name}: ${error.code}`);
      assert.equal(error.status, statusOf(error.code), error.name);
    }
  });
});

describe('responses take status and headers from the error', () => {
  test('every code: its status, its code, Retry-After and WWW-Authenticate exactly when it demands them', async () => {
    let code: ErrorCode = 'invalid_request';
    const app = await appThrowing(() => errorOf(code));
    try {
      for (code of errorCodes) {
        const response = await app.inject({ method: 'GET', url: '/throw' });
        assert.equal(response.statusCode, statusOf(code), code);
        const body = response.json<{ error: string; error_description: string; request_id: string }>();
        assert.equal(body.error, code);
        assert.equal(body.error_description, errorOf(code).description);
        assert.ok(body.request_id);
        assert.equal(response.headers['retry-after'], RETRY_AFTER[code], code);
        assert.equal(response.headers['www-authenticate'], CHALLENGES[code], code);
      }
    } finally {
      await app.close();
    }
  });

  test('a status or header an error class states is what the response says', async () => {
    class TeapotError extends HelloJohnError {
      override get status() {
        return 418;
      }
      override get headers() {
        return { ...super.headers, 'x-brewing': 'yes' };
      }
    }
    const app = await appThrowing(() => new TeapotError('invalid_token', 'short and stout'));
    try {
      const response = await app.inject({ method: 'GET', url: '/throw' });
      assert.equal(response.statusCode, 418);
      assert.equal(response.headers['x-brewing'], 'yes');
      assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"');
    } finally {
      await app.close();
    }
  });

  test('framework errors map into the same set', async () => {
    const app = await appThrowing(() => new Error('boom at /srv/app.js:1'));
    try {
      const cases: [InjectOptions, number, ErrorCode][] = [
        [{ method: 'GET', url: '/throw' }, 500, 'server_error'],
        [{ method: 'GET', url: '/nowhere' }, 404, 'not_found'],
        [{ method: 'DELETE', url: '/throw' }, 404, 'not_found'],
        [{ method: 'POST', url: '/echo', payload: '{"name":', headers: json }, 400, 'invalid_request'],
        [{ method: 'POST', url: '/echo', payload: '{}', headers: json }, 400, 'invalid_request'],
        [
          { method: 'POST', url: '/echo', payload: `{"name":"${'x'.repeat(100)}"}`, headers: json },
          413,
          'payload_too_large',
        ],
        [
          { method: 'POST', url: '/echo', payload: 'name', headers: { 'content-type': 'text/x-unknown' } },
          415,
          'unsupported_media_type',
        ],
      ];
      for (const [request, status, code] of cases) {
        const response = await app.inject(request);
        const label = JSON.stringify(request);
        assert.equal(response.statusCode, status, label);
        assert.equal(response.json<{ error: string }>().error, code, label);
        assert.doesNotMatch(response.body, /boom|srv/, label);
      }
    } finally {
      await app.close();
    }
  });

  test('errors before a request exists use the same statuses', () => {
    const tooLarge = clientErrorResponse({ code: 'HPE_HEADER_OVERFLOW' });
    assert.match(tooLarge, new RegExp(`^HTTP/1\\.1 ${statusOf('request_header_fields_too_large')} `));
    assert.match(tooLarge, /"error":"request_header_fields_too_large"/);
    const malformed = clientErrorResponse({ code: 'HPE_INVALID_METHOD' });
    assert.match(malformed, new RegExp(`^HTTP/1\\.1 ${statusOf('invalid_request')} Bad Request`));
  });
});

const json = { 'content-type': 'application/json' };
