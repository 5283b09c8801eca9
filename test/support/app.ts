// A real server on a fresh database, in this process: real HTTP on 127.0.0.1, real PostgreSQL or PGlite.
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.js';
import type { Database } from '../../src/db/database.js';
import type { LazySerializers } from '../../src/http/lazy-schemas.js';
import { migrate } from '../../src/db/migrator.js';
import { migrationSequence } from '../../src/composition.js';
import type { FeatureModule } from '../../src/kernel/module.js';
import { openDatabase } from '../../src/db/open.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { freePort } from './net.js';

export interface TestApp {
  base: string;
  /** The management listener (/metrics, /health, /ready), on 127.0.0.1 like the default MANAGEMENT_HOST. */
  managementBase: string;
  app: FastifyInstance;
  db: Database;
  testDb: TestDatabase;
  /** POST a JSON body; returns status, headers and the parsed body. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<JsonResponse>;
  get(path: string, headers?: Record<string, string>): Promise<JsonResponse>;
  close(): Promise<void>;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** Fast Argon2 for tests that are not about hashing cost; the OWASP defaults are used where it matters. */
export const FAST_ARGON2 = { ARGON2_MEMORY_KIB: '1024', ARGON2_ITERATIONS: '1' };

export async function startTestApp(
  env: Record<string, string> = {},
  options: {
    /** The feature modules to run with (default: the ones the build ships), e.g. plus a test module. */
    modules?: readonly FeatureModule[];
    /**
     * The host name of BASE_URL (default 127.0.0.1). `localhost` where the browser needs a domain: a
     * passkey's RP ID cannot be an IP address.
     */
    hostname?: string;
    /** Run the modules' background workers (ModuleParts.workers), as `serve` does (default false). */
    workers?: boolean;
    /** A database to start on (migrated here if needed; not dropped on close), e.g. a second start. */
    database?: TestDatabase;
    /** Receives the server's log lines (info and above; default: no log). */
    log?: (line: string) => void;
    /** The app's response serializers (compiled at first use), for a test that compiles them all. */
    serializers?: LazySerializers;
  } = {},
): Promise<TestApp> {
  // The shipped modules' schema comes ready-made; a test's own module list migrates from empty.
  const testDb = options.database ?? (await createTestDatabase({ migrated: options.modules === undefined }));
  // The issuer (and the links in emails) must be the address the server really listens on.
  const port = await freePort();
  const origin = `http://${options.hostname ?? '127.0.0.1'}:${port}`;
  const config = testDb.config({ ...FAST_ARGON2, BASE_URL: origin, ...env });
  const logger = options.log
    ? pino({ level: 'info' }, { write: options.log })
    : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const db = await openDatabase(config, logger);
  await migrate(db, migrationSequence(options.modules), { appVersion: 'test', allowNewerSchema: false });
  const app = await buildApp(config, {
    db,
    logger,
    sweeper: false,
    workers: options.workers ?? false,
    modules: options.modules,
    serializers: options.serializers,
  });
  await app.listen({ host: '127.0.0.1', port });
  const base = origin;
  const managementBase = await app.management.listen({ host: '127.0.0.1', port: 0 });

  const request = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { raw: text };
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };

  return {
    base,
    managementBase,
    app,
    db,
    testDb,
    post: (path, body, headers) => request('POST', path, body, headers),
    get: (path, headers) => request('GET', path, undefined, headers),
    close: async () => {
      await app.close();
      await db.close();
      if (!options.database) await testDb.drop();
    },
  };
}

let counter = 0;
/** A unique, valid email address. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}.${process.pid}.${Date.now()}.${counter++}@example.com`;
}

export const STRONG_PASSWORD = 'Correct-Horse-Battery-Staple-42';
