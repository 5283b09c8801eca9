// A webhook receiver, as a customer would run one: a separate Node process that verifies each request's
// X-HelloJohn-Signature with the endpoint's shared secret (constant-time compare, timestamp tolerance)
// and appends what it received to a file (one JSON line each), so what it saw survives its restarts.
//   node webhook-receiver.mjs   env: PORT (0: any), RECORD_FILE, SECRETS_FILE
// SECRETS_FILE (read on each request): {"<name>": {"secret": "whsec_…", "status": 200}} for the paths
// /hook/<name>. It prints `listening <port>` once it listens.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { appendFileSync, readFileSync } from 'node:fs';
import http from 'node:http';

const TOLERANCE_SECONDS = 300;

/** The receiver's check, as docs/admin.md#webhooks shows it. */
export function verify(secret, header, rawBody, now = Date.now()) {
  const parts = Object.fromEntries(
    String(header ?? '')
      .split(',')
      .map((part) => part.split('=', 2)),
  );
  const t = Number(parts.t);
  if (!Number.isInteger(t) || typeof parts.v1 !== 'string') return 'malformed signature header';
  if (Math.abs(now / 1000 - t) > TOLERANCE_SECONDS) return 'timestamp outside the tolerance';
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'signature mismatch';
  return null;
}

const { RECORD_FILE, SECRETS_FILE } = process.env;
const secrets = () => {
  try {
    return JSON.parse(readFileSync(SECRETS_FILE, 'utf8'));
  } catch {
    return {};
  }
};

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const name = /^\/hook\/([\w-]+)$/.exec(request.url ?? '')?.[1];
    const setup = name ? secrets()[name] : undefined;
    if (!setup) {
      response.writeHead(404).end();
      return;
    }
    const problem = verify(setup.secret, request.headers['x-hellojohn-signature'], raw);
    const status = setup.status ?? 200;
    appendFileSync(
      RECORD_FILE,
      `${JSON.stringify({
        name,
        valid: problem === null,
        problem,
        status,
        delivery_id: request.headers['x-hellojohn-delivery-id'],
        event: request.headers['x-hellojohn-event'],
        signature: request.headers['x-hellojohn-signature'],
        content_type: request.headers['content-type'],
        user_agent: request.headers['user-agent'],
        body: raw,
        at: Date.now(),
        // The sender's end of the connection: the same port twice is one kept-alive connection.
        remote_port: request.socket.remotePort,
      })}\n`,
    );
    response.writeHead(problem ? 400 : status, { 'content-type': 'text/plain' }).end(problem ?? 'ok');
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
