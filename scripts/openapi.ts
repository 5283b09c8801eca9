// `npm run openapi`: writes docs/openapi.json, the OpenAPI document the server serves at /openapi.json,
// from an app built in this process on a throwaway embedded database (nothing listens), and the console's
// typed API client (console/src/api/schema.d.ts) generated from it. The tests fail when either committed
// copy differs from what the server serves.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import openapiTS, { COMMENT_HEADER, astToString } from 'openapi-typescript';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/open.js';

export const OPENAPI_FILE = path.resolve(import.meta.dirname, '../docs/openapi.json');
export const CONSOLE_SCHEMA_FILE = path.resolve(import.meta.dirname, '../console/src/api/schema.d.ts');

/** The console's types for the document (paths, bodies, responses), as openapi-typescript writes them. */
export async function consoleSchema(document: unknown): Promise<string> {
  const ast = await openapiTS(JSON.stringify(document), { silent: true });
  return COMMENT_HEADER + astToString(ast);
}

/** The document as committed: stable key order as generated, two-space indent, final newline. */
export function formatDocument(document: unknown): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hellojohn-openapi-'));
  try {
    // The defaults of a fresh installation (no METRICS_ON_MAIN_PORT, no CORS origins, http BASE_URL).
    const config = loadConfig({ DATA_DIR: dataDir });
    const logger = pino({ level: 'silent' });
    const db = await openDatabase(config, logger);
    const app = await buildApp(config, { db, logger, sweeper: false });
    try {
      const response = await app.inject({ method: 'GET', url: '/openapi.json' });
      if (response.statusCode !== 200) throw new Error(`GET /openapi.json answered ${response.statusCode}`);
      const document: unknown = response.json();
      writeFileSync(OPENAPI_FILE, formatDocument(document));
      console.log(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}`);
      writeFileSync(CONSOLE_SCHEMA_FILE, await consoleSchema(document));
      console.log(`wrote ${path.relative(process.cwd(), CONSOLE_SCHEMA_FILE)}`);
    } finally {
      await app.close();
      await db.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) await main();
