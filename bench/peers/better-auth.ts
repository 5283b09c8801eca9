// The benchmark's peer: better-auth with email + password on its own PostgreSQL database, served by a
// plain node:http server through better-auth's Node handler. Run as a child process by bench/run.ts.
//
// Environment: DATABASE_URL (its own database, created empty by the harness), HOST, PORT,
// DATABASE_MAX_CONNECTIONS (pg pool size, same as HelloJohn's pool in the run).
// Kept at better-auth's defaults on purpose: password hashing (node:crypto scrypt, N=16384 r=16 p=1),
// sessions read from the database on every get-session (no cookie cache). Rate limiting is off and
// email verification is not required, so the benchmark measures the same work as on HelloJohn.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { toNodeHandler } from 'better-auth/node';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is required');
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? '3000');
const poolSize = Number(process.env.DATABASE_MAX_CONNECTIONS ?? '10');
const baseURL = `http://${host}:${port}`;

const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });

const options = {
  database: pool,
  baseURL,
  secret: randomBytes(32).toString('hex'),
  emailAndPassword: { enabled: true, requireEmailVerification: false },
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  logger: { level: 'error' as const },
};

// Create the schema programmatically (what `npx @better-auth/cli migrate` does), offline.
const { runMigrations } = await getMigrations(options);
await runMigrations();

const auth = betterAuth(options);
const handler = toNodeHandler(auth);

const server = createServer((req, res) => {
  if (req.url === '/ready') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  handler(req, res).catch((error: unknown) => {
    process.stderr.write(`better-auth handler error: ${String(error)}\n`);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
server.keepAliveTimeout = 65_000;

server.listen(port, host, () => {
  process.stdout.write(`better-auth peer listening on ${baseURL}\n`);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  server.close(() => {
    void pool.end().finally(() => process.exit(0));
  });
  setTimeout(() => process.exit(0), 5_000).unref();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
