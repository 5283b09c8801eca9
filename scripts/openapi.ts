// `npm run openapi`: writes docs/openapi.json, the OpenAPI document the server serves at /openapi.json,
// from an app built in this process on a throwaway embedded database (nothing listens). The tests fail when
// the committed copy differs from what the server serves.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/open.js';

export const OPENAPI_FILE = path.resolve(import.meta.dirname, '../docs/openapi.json');

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
      writeFileSync(OPENAPI_FILE, formatDocument(response.json()));
      console.log(`wrote ${path.relative(process.cwd(), OPENAPI_FILE)}`);
    } finally {
      await app.close();
      await db.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) await main();
