// Hostile input against every first-party auth endpoint, through real HTTP. Each endpoint gets a table of
// cases (wrong JSON types, missing fields, 10 MB bodies, 100k-character strings, control characters and
// odd Unicode, SQL-looking strings, malformed JSON, wrong content types, forged/expired/foreign tokens,
// malformed Authorization headers, unknown tenants, tenant_id against the /t/ prefix) and every case must
// get the documented error JSON — exactly {error, error_description, request_id}, request_id equal to the
// X-Request-Id header, nothing internal in it, never a 5xx — and write nothing: the rows of users,
// sessions, refresh_tokens, email_tokens, signing_keys and tenants are digested before and after each
// case, and audit_events may only grow by the documented failed-login events.
//
// The cases of one endpoint all run before its test reports, so one run lists every case that misbehaves.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportJWK, type JWK, type JWTPayload } from 'jose';
import { hashToken } from '../../src/crypto/tokens.js';
import { STRONG_PASSWORD, startTestApp, uniqueEmail, type TestApp } from '../support/app.js';

// Limits high enough that the hundreds of hostile requests below never meet a rate limit or a lockout:
// those have their own tests (flows.test.ts) and would only hide the answer under test here.
const ENV = {
  RATE_LIMIT_PER_IP: '1000000',
  RATE_LIMIT_PER_ACCOUNT: '1000000',
  RATE_LIMIT_FAILURES_PER_IP: '1000000',
  RATE_LIMIT_PER_CLIENT: '1000000',
  LOGIN_MAX_FAILURES: '1000',
};

/** Error codes of ../shared/spec/api.md, plus the transport-level ones (413, 415, 431) of src/http/errors.ts. */
const DOCUMENTED_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'access_denied',
  'login_required',
  'consent_required',
  'invalid_credentials',
  'invalid_token',
  'email_taken',
  'weak_password',
  'rate_limited',
  'mfa_required',
  'not_found',
  'conflict',
  'service_unavailable',
  'payload_too_large',
  'request_header_fields_too_large',
  'unsupported_media_type',
]);

/** Stack frames, file paths, SQL and driver/runtime error names: none may reach a client. */
const LEAK =
  /\bat\s+[\w.<>[\]]+\s+\(|\bat\s+(?:async\s+)?\/|(?:\/[\w.@-]+)+\.(?:ts|js|mjs|cjs):\d+|node_modules|\b(?:SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|DROP\s+TABLE)\b|\b(?:relation|column)\s+"|syntax error|violates|duplicate key|invalid input syntax|DatabaseError|TypeError|RangeError|ReferenceError|"stack"|\bpg_\w+/i;

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

// --- hostile values ------------------------------------------------------------------------------------

const SQL = [
  "' OR 1=1 --",
  "x'; DROP TABLE users; --",
  "admin'--",
  '" OR ""="',
  '1; SELECT pg_sleep(5); --',
  "'); DELETE FROM sessions; --",
];
const WRONG_TYPES: [string, unknown][] = [
  ['number', 123],
  ['zero', 0],
  ['float', 1.5e308],
  ['negative', -1],
  ['true', true],
  ['false', false],
  ['null', null],
  ['empty array', []],
  ['array of string', ['a@example.com']],
  ['empty object', {}],
  ['operator object', { $ne: null }],
  ['toString object', { toString: 'x' }],
];
const LONG = 'a'.repeat(100_000);
const LONG_EMAIL = `${'a'.repeat(100_000)}@example.com`;
/** Emails that the documented rule (no whitespace or control/format characters, one @, dotted domain) refuses. */
const BAD_EMAILS: [string, string][] = [
  ...SQL.map((s): [string, string] => [`sql ${s}`, s]),
  ['NUL', 'a\u0000b@example.com'],
  ['BEL', 'a\u0007b@example.com'],
  ['CRLF header injection', 'victim@example.com\r\nBcc: attacker@evil.example'],
  ['CR LF local part', 'a\r\nb@example.com'],
  ['RTL override', 'a\u202eb@example.com'],
  ['RTL override spoof', '\u202emoc.elpmaxe@example.com'],
  ['zero-width joiner', 'a\u200db@example.com'],
  ['no at sign', 'not-an-address'],
  ['two at signs', 'a@@example.com'],
  ['no dot in domain', 'a@localhost'],
  ['local part over 64', `${'a'.repeat(65)}@example.com`],
  ['space', 'a b@example.com'],
];
/** Addresses that must never reach the database as parameters that break it (login looks them up). */
const ODD_EMAILS: [string, string][] = [
  ...BAD_EMAILS,
  ['lone high surrogate', 'a\ud800b@example.com'],
  ['lone low surrogate', 'a\udc00b@example.com'],
  ['combining marks', 'a\u0301\u0301\u0301b@example.com'],
  ['emoji', '\u{1F600}\u{1F469}\u200d\u{1F4BB}@example.com'],
];
const BAD_NAMES: [string, string][] = [
  ['NUL', 'x\u0000y'],
  ['BEL', 'bell\u0007'],
  ['CRLF', 'Eve\r\nBcc: attacker@evil.example'],
  ['ESC', 'ansi\u001b[31mred'],
];
const MALFORMED_JSON: [string, string][] = [
  ['unterminated object', '{'],
  ['unterminated string', '{"email": "a'],
  ['missing comma', '{"email":"a@example.com" "password":"x"}'],
  ['single quotes', "{'email':'a@example.com'}"],
  ['trailing garbage', '{"email":"a@example.com"}x'],
  ['NaN', 'NaN'],
  ['bare NUL', '\u0000'],
  ['bad escape', '{"email":"\\x41@example.com"}'],
  ['deep nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
  ['__proto__ pollution', '{"__proto__":{"admin":true},"email":"a@example.com","password":"x"}'],
  ['constructor.prototype pollution', '{"constructor":{"prototype":{"admin":true}}}'],
];
const NOT_OBJECTS = ['null', '[]', '"a@example.com"', '123', 'true', '[{"email":"a@example.com"}]'];

// --- cases ---------------------------------------------------------------------------------------------

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path and query. */
  path: string;
  /** A raw body (string, or bytes sent without a Content-Type). */
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  status: number | number[];
  error?: string | string[];
  /** Audit event types this case may add (one event at most). */
  audit?: readonly string[];
  /** The failure must carry WWW-Authenticate: Bearer error="invalid_token" (RFC 6750). */
  bearerChallenge?: boolean;
  /** A documented non-error answer (e.g. /forgot is always 202, DELETE /v2/session is idempotent). */
  success?: boolean;
  /**
   * The input holds what PostgreSQL text cannot (NUL, a lone surrogate): refusing it up front with
   * 400 invalid_request is as good as the endpoint's own answer.
   */
  unstorable?: boolean;
}

/** NUL or an unpaired UTF-16 surrogate anywhere in the string. */
function unstorable(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit === 0) return true;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return true;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return true;
  }
  return false;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const jsonCase = (
  name: string,
  method: Case['method'],
  path: string,
  body: unknown,
  expect: Pick<Case, 'status' | 'error' | 'audit' | 'success' | 'headers' | 'bearerChallenge'>,
): Case => ({
  name,
  method,
  path,
  body: JSON.stringify(body),
  ...expect,
  headers: { ...JSON_TYPE, ...expect.headers },
  ...(hasUnstorable(body) ? { unstorable: true } : {}),
});

function hasUnstorable(value: unknown): boolean {
  if (typeof value === 'string') return unstorable(value);
  if (Array.isArray(value)) return value.some(hasUnstorable);
  if (value && typeof value === 'object') return Object.values(value).some(hasUnstorable);
  return false;
}

const BAD_REQUEST = { status: 400, error: 'invalid_request' } as const;
const NOT_FOUND = { status: 404, error: 'not_found' } as const;
const INVALID_TOKEN = { status: 401, error: 'invalid_token', bearerChallenge: true } as const;
const INVALID_GRANT = { status: 400, error: 'invalid_grant' } as const;
const LOGIN_REQUIRED = { status: 401, error: 'login_required' } as const;

const TEN_MB = 10 * 1024 * 1024;
let hugeBody = '';

/** Body-level hostility for a JSON endpoint: malformed JSON, non-objects, wrong content types, 10 MB. */
function bodyCases(method: Case['method'], path: string, validBody: Record<string, unknown>): Case[] {
  const valid = JSON.stringify(validBody);
  const cases: Case[] = [
    ...MALFORMED_JSON.map(([name, body]): Case => ({
      name: `malformed JSON: ${name}`,
      method,
      path,
      body,
      headers: JSON_TYPE,
      ...BAD_REQUEST,
    })),
    ...NOT_OBJECTS.map((body): Case => ({
      name: `top-level ${body.slice(0, 12)}`,
      method,
      path,
      body,
      headers: JSON_TYPE,
      ...BAD_REQUEST,
    })),
    { name: 'empty JSON body', method, path, body: '', headers: JSON_TYPE, ...BAD_REQUEST },
    // The first-party API speaks JSON only. A form post needs no CORS preflight, so an API that took one
    // could be driven by any other site's HTML form (login CSRF on /v2/session/login, for one).
    {
      name: 'form-encoded',
      method,
      path,
      body: new URLSearchParams(validBody as Record<string, string>).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
      error: 'unsupported_media_type',
    },
    {
      name: 'XML',
      method,
      path,
      body: '<login><email>a@example.com</email></login>',
      headers: { 'content-type': 'application/xml' },
      status: 415,
      error: 'unsupported_media_type',
    },
    {
      name: 'multipart',
      method,
      path,
      body: '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na@example.com\r\n--x--\r\n',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      status: 415,
      error: 'unsupported_media_type',
    },
    {
      name: 'JSON sent as text/plain',
      method,
      path,
      body: valid,
      headers: { 'content-type': 'text/plain' },
      status: [400, 415],
      error: ['invalid_request', 'unsupported_media_type'],
    },
    {
      name: 'JSON without a Content-Type',
      method,
      path,
      body: new TextEncoder().encode(valid),
      status: [400, 415],
      error: ['invalid_request', 'unsupported_media_type'],
    },
    {
      name: 'bogus Content-Type application/jsonx',
      method,
      path,
      body: valid,
      headers: { 'content-type': 'application/jsonx' },
      status: 415,
      error: 'unsupported_media_type',
    },
    {
      name: '10 MB body',
      method,
      path,
      body: hugeBody,
      headers: JSON_TYPE,
      status: 413,
      error: 'payload_too_large',
    },
  ];
  return cases;
}

/** Wrong types, missing, over-long and empty values for each string field of a JSON body. */
function fieldCases(
  method: Case['method'],
  path: string,
  validBody: Record<string, unknown>,
  fields: { name: string; required: boolean; long: string; minLength?: boolean }[],
): Case[] {
  const cases: Case[] = [];
  for (const field of fields) {
    for (const [label, value] of WRONG_TYPES) {
      cases.push(
        jsonCase(`${field.name}: ${label}`, method, path, { ...validBody, [field.name]: value }, BAD_REQUEST),
      );
    }
    cases.push(
      jsonCase(
        `${field.name}: 100k characters`,
        method,
        path,
        { ...validBody, [field.name]: field.long },
        BAD_REQUEST,
      ),
    );
    if (field.minLength !== false) {
      cases.push(
        jsonCase(`${field.name}: empty`, method, path, { ...validBody, [field.name]: '' }, BAD_REQUEST),
      );
    }
    if (field.required) {
      const without = { ...validBody };
      delete without[field.name];
      cases.push(jsonCase(`${field.name}: missing`, method, path, without, BAD_REQUEST));
    }
  }
  return cases;
}

/** Hostile string values that pass the schema: the answer is the endpoint's own (401, 400, 202...). */
function valueCases(
  method: Case['method'],
  path: string,
  validBody: Record<string, unknown>,
  field: string,
  values: [string, string][],
  expect: Pick<Case, 'status' | 'error' | 'audit' | 'success'>,
): Case[] {
  return values.map(([label, value]) =>
    jsonCase(`${field}: ${label}`, method, path, { ...validBody, [field]: value }, expect),
  );
}

// --- HTTP, snapshots and checks ------------------------------------------------------------------------

interface Raw {
  status: number;
  headers: Headers;
  text: string;
}

async function send(t: TestApp, c: Case): Promise<Raw> {
  const response = await fetch(`${t.base}${c.path}`, {
    method: c.method,
    headers: c.headers ?? {},
    body: c.body,
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

interface Snapshot {
  tables: Record<string, string>;
  audit: Record<string, number>;
}

const TABLES = ['users', 'sessions', 'refresh_tokens', 'email_tokens', 'signing_keys', 'tenants'];
// Row count and a digest of every row's text: an UPDATE (a revoked session, a consumed token, a changed
// password) shows up as surely as an INSERT.
const SNAPSHOT_SQL = `SELECT ${TABLES.map(
  (table) =>
    `(SELECT count(*) || ' rows, md5 ' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM ${table} x) AS ${table}`,
).join(', ')},
  (SELECT coalesce(jsonb_object_agg(type, n), '{}'::jsonb)
     FROM (SELECT type, count(*)::int AS n FROM audit_events GROUP BY type) a) AS audit`;

async function snapshot(t: TestApp): Promise<Snapshot> {
  const row = (await t.db.query<Record<string, unknown>>(SNAPSHOT_SQL)).rows[0]!;
  const audit = (typeof row.audit === 'string' ? JSON.parse(row.audit) : row.audit) as Record<string, number>;
  return { tables: Object.fromEntries(TABLES.map((name) => [name, String(row[name])])), audit };
}

function compareSnapshots(before: Snapshot, after: Snapshot, allowedAudit: readonly string[]): string[] {
  const problems: string[] = [];
  for (const table of TABLES) {
    if (before.tables[table] !== after.tables[table]) {
      problems.push(`wrote to ${table} (${before.tables[table]} → ${after.tables[table]})`);
    }
  }
  let added = 0;
  for (const type of new Set([...Object.keys(before.audit), ...Object.keys(after.audit)])) {
    const delta = (after.audit[type] ?? 0) - (before.audit[type] ?? 0);
    if (delta === 0) continue;
    added += delta;
    if (!allowedAudit.includes(type)) problems.push(`audit event ${type} ${delta > 0 ? '+' : ''}${delta}`);
  }
  if (added > 1) problems.push(`${added} audit events for one request`);
  return problems;
}

const oneOf = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The documented error JSON (or the documented success), and nothing else. */
function checkResponse(c: Case, res: Raw): string[] {
  const problems: string[] = [];
  const statuses = [...oneOf(c.status), ...(c.unstorable ? [400] : [])];
  if (LEAK.test(res.text)) problems.push(`internals in the body: ${res.text.slice(0, 200)}`);
  if (res.status >= 500) return [...problems, `status ${res.status}: ${res.text.slice(0, 160)}`];
  if (!statuses.includes(res.status)) problems.push(`status ${res.status}, expected ${statuses.join('/')}`);
  const sentId = c.headers?.['x-request-id'];
  const headerId = res.headers.get('x-request-id');
  if (sentId !== undefined && !SAFE_REQUEST_ID.test(sentId) && headerId === sentId)
    problems.push('echoed an unsafe X-Request-Id');
  if (c.success && res.status < 400) return problems;

  if (!/^application\/json\b/.test(res.headers.get('content-type') ?? '')) {
    problems.push(`content-type ${res.headers.get('content-type')}: ${res.text.slice(0, 120)}`);
    return problems;
  }
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    return [...problems, `not JSON: ${res.text.slice(0, 120)}`];
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [...problems, 'not an object'];
  const fields = body as Record<string, unknown>;
  const keys = Object.keys(fields).sort();
  if (keys.join(',') !== 'error,error_description,request_id') {
    problems.push(`keys ${keys.join(',')}: ${res.text.slice(0, 160)}`);
  }
  for (const key of ['error', 'error_description', 'request_id']) {
    if (typeof fields[key] !== 'string' || fields[key] === '')
      problems.push(`${key} is not a non-empty string`);
  }
  if (typeof fields.error === 'string') {
    if (!DOCUMENTED_CODES.has(fields.error)) problems.push(`undocumented error code ${fields.error}`);
    const errors =
      c.error === undefined ? [] : [...oneOf(c.error), ...(c.unstorable ? ['invalid_request'] : [])];
    if (errors.length > 0 && !errors.includes(fields.error)) {
      problems.push(
        `error ${fields.error}, expected ${errors.join('/')} (${String(fields.error_description)})`,
      );
    }
  }
  if (headerId === null || fields.request_id !== headerId) {
    problems.push(`request_id ${String(fields.request_id)} differs from X-Request-Id ${headerId}`);
  }
  if (
    c.bearerChallenge &&
    !/^Bearer\b.*error="invalid_token"/.test(res.headers.get('www-authenticate') ?? '')
  ) {
    problems.push(`WWW-Authenticate ${res.headers.get('www-authenticate')}`);
  }
  return problems;
}

async function runCases(t: TestApp, cases: Case[]): Promise<void> {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const c of cases) {
    assert.ok(!names.has(`${c.method} ${c.path} ${c.name}`), `duplicate case ${c.name}`);
    names.add(`${c.method} ${c.path} ${c.name}`);
    const before = await snapshot(t);
    let res: Raw;
    try {
      res = await send(t, c);
    } catch (error) {
      problems.push(`${c.name}: request failed: ${String((error as Error).cause ?? error)}`);
      continue;
    }
    const found = [...checkResponse(c, res), ...compareSnapshots(before, await snapshot(t), c.audit ?? [])];
    for (const problem of found) problems.push(`${c.method} ${c.path.slice(0, 80)} [${c.name}]: ${problem}`);
  }
  if (problems.length > 0) {
    assert.fail(`${problems.length} problem(s) in ${cases.length} cases:\n  ${problems.join('\n  ')}`);
  }
}

// --- the world the cases run in ------------------------------------------------------------------------

interface Account {
  id: string;
  email: string;
  password: string;
  access: string;
  refresh: string;
  sid: string;
}

async function register(t: TestApp, prefix = ''): Promise<Account> {
  const email = uniqueEmail('hostile');
  const response = await t.post(`${prefix}/v2/auth/register`, { email, password: STRONG_PASSWORD });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  const access = response.body.access_token as string;
  return {
    id: (response.body.user as { id: string }).id,
    email,
    password: STRONG_PASSWORD,
    access,
    refresh: response.body.refresh_token as string,
    sid: decodeJwt(access).sid as string,
  };
}

async function login(t: TestApp, account: Account, prefix = ''): Promise<Account> {
  const response = await t.post(`${prefix}/v2/auth/login`, {
    email: account.email,
    password: account.password,
  });
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const access = response.body.access_token as string;
  return {
    ...account,
    access,
    refresh: response.body.refresh_token as string,
    sid: decodeJwt(access).sid as string,
  };
}

async function browserLogin(t: TestApp, account: Account, prefix = ''): Promise<string> {
  const response = await fetch(`${t.base}${prefix}/v2/session/login`, {
    method: 'POST',
    headers: JSON_TYPE,
    body: JSON.stringify({ email: account.email, password: account.password }),
  });
  assert.equal(response.status, 200);
  const cookie = /^hj_session(?:-other)?=([A-Za-z0-9_-]{43});/.exec(response.headers.get('set-cookie') ?? '');
  assert.ok(cookie, 'a session cookie');
  return cookie[1]!;
}

async function insertEmailToken(
  t: TestApp,
  tenantId: string,
  account: Account,
  purpose: 'reset_password' | 'verify_email',
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await t.db.query(
    `INSERT INTO email_tokens (tenant_id, user_id, purpose, token_hash, email, expires_at)
     VALUES ($1, $2, $3, $4, $5, now() + interval '1 hour')`,
    [tenantId, account.id, purpose, hashToken(token), account.email],
  );
  return token;
}

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('hostile input on the first-party auth API', () => {
  let t: TestApp;
  let defaultId: string;
  let otherId: string;
  /** Default tenant: the victim (two API sessions and a browser session) and a bystander. */
  let victim: Account;
  let victimSecond: Account;
  let bystander: Account;
  let victimCookie: string;
  /** Tenant `other`: a user with an API session and a browser session. */
  let foreigner: Account;
  let foreignerCookie: string;
  let foreignReset: string;
  let foreignVerify: string;
  let victimReset: string;
  /**
   * A bystander whose tokens are the "valid" bodies behind malformed-body cases: should a wrong content
   * type or a coerced type ever be acted upon, the digests catch it and only this account pays.
   */
  let spare: Account;
  let spareReset: string;
  let victimVerify: string;
  /** Hostile access tokens, each aimed at the victim's live session. */
  let forgedTokens: [string, string][];

  before(async () => {
    hugeBody = JSON.stringify({
      email: `${'a'.repeat(TEN_MB)}@example.com`,
      password: STRONG_PASSWORD,
      refresh_token: 'x',
      token: 'x',
    });
    t = await startTestApp(ENV);
    await t.db.query(`INSERT INTO tenants (slug, name) VALUES ('other', 'Other')`);
    const ids = await t.db.query<{ id: string; slug: string }>('SELECT id, slug FROM tenants');
    defaultId = ids.rows.find((r) => r.slug === 'default')!.id;
    otherId = ids.rows.find((r) => r.slug === 'other')!.id;

    victim = await register(t);
    victimSecond = await login(t, victim);
    bystander = await register(t);
    victimCookie = await browserLogin(t, victim);
    foreigner = await register(t, '/t/other');
    foreignerCookie = await browserLogin(t, foreigner, '/t/other');
    foreignReset = await insertEmailToken(t, otherId, foreigner, 'reset_password');
    foreignVerify = await insertEmailToken(t, otherId, foreigner, 'verify_email');
    victimReset = await insertEmailToken(t, defaultId, victim, 'reset_password');
    spare = await register(t);
    spareReset = await insertEmailToken(t, defaultId, spare, 'reset_password');
    victimVerify = await insertEmailToken(t, defaultId, victim, 'verify_email');

    // Tokens that differ from a valid one in exactly one way, most signed with the tenant's real keys so
    // that only the rule under test can refuse them.
    const ed = await t.app.services.keys.signingKey(defaultId, 'EdDSA');
    const rsa = await t.app.services.keys.signingKey(defaultId, 'RS256');
    const claims = decodeJwt(victim.access);
    const header = decodeProtectedHeader(victim.access);
    const now = Math.floor(Date.now() / 1000);
    const real = (payload: JWTPayload, protectedHeader: Record<string, unknown> = {}) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: 'EdDSA', kid: ed.kid, typ: 'at+jwt', ...protectedHeader })
        .sign(ed.privateKey);
    const attacker = generateKeyPairSync('ed25519');
    const attackerJwk: JWK = await exportJWK(attacker.publicKey);
    const edJwk = ed.privateKey.export({ format: 'jwk' }) as JWK;
    const publicPem = await publicPemOf(t, ed.kid);
    const [h, p, s] = victim.access.split('.') as [string, string, string];
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    const withoutKid = Object.fromEntries(Object.entries(header).filter(([k]) => k !== 'kid'));

    forgedTokens = [
      ['signature byte flipped', `${h}.${p}.${flipped}`],
      ['signature removed', `${h}.${p}.`],
      ['signature of another token', `${h}.${p}.${victimSecond.access.split('.')[2]!}`],
      ['payload edited: sub of another user', `${h}.${b64json({ ...claims, sub: bystander.id })}.${s}`],
      ['payload edited: exp extended', `${h}.${b64json({ ...claims, exp: now + 86_400 * 365 })}.${s}`],
      ['payload edited: tid of another tenant', `${h}.${b64json({ ...claims, tid: otherId })}.${s}`],
      ['header edited: kid removed', `${b64json(withoutKid)}.${p}.${s}`],
      [
        'signed by a key generated by the attacker',
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'EdDSA', kid: ed.kid, typ: 'at+jwt' })
          .sign(attacker.privateKey),
      ],
      [
        'attacker key embedded as jwk header',
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', jwk: attackerJwk })
          .sign(attacker.privateKey),
      ],
      ['alg none', `${b64json({ ...header, alg: 'none' })}.${p}.`],
      ['alg None', `${b64json({ ...header, alg: 'None' })}.${p}.`],
      ['alg none, no kid', `${b64json({ alg: 'none', typ: 'at+jwt' })}.${p}.`],
      [
        'HS256 with the public key (PEM) as secret',
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: ed.kid, typ: 'at+jwt' })
          .sign(new TextEncoder().encode(publicPem)),
      ],
      [
        'HS256 with the public key (raw x) as secret',
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: ed.kid, typ: 'at+jwt' })
          .sign(Buffer.from(edJwk.x!, 'base64url')),
      ],
      [
        'HS256 with the public JWK JSON as secret',
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: ed.kid, typ: 'at+jwt' })
          .sign(new TextEncoder().encode(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x: edJwk.x }))),
      ],
      [
        'real key, no kid',
        await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' }).sign(ed.privateKey),
      ],
      ['real key, unknown kid', await real(claims, { kid: 'no-such-kid' })],
      ['real key, SQL kid', await real(claims, { kid: "' OR 1=1 --" })],
      ['real key, path kid', await real(claims, { kid: '../../../etc/passwd' })],
      ['EdDSA with the kid of the RSA key', await real(claims, { kid: rsa.kid })],
      [
        'RS256 (real RSA key) with the kid of the Ed25519 key',
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: ed.kid, typ: 'at+jwt' })
          .sign(rsa.privateKey),
      ],
      [
        'PS256 with the real RSA key',
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'PS256', kid: rsa.kid, typ: 'at+jwt' })
          .sign(rsa.privateKey),
      ],
      ['real key, expired an hour ago', await real({ ...claims, iat: now - 7200, exp: now - 3600 })],
      ['real key, not valid before tomorrow', await real({ ...claims, nbf: now + 86_400 })],
      ['real key, issuer of another tenant', await real({ ...claims, iss: `${t.base}/t/other` })],
      ['real key, foreign issuer', await real({ ...claims, iss: 'https://evil.example' })],
      ['real key, tid of another tenant', await real({ ...claims, tid: otherId })],
      ['real key, typ JWT', await real(claims, { typ: 'JWT' })],
      ['real key, no typ', await real(claims, { typ: undefined })],
      [
        'real key, no exp',
        await real(Object.fromEntries(Object.entries(claims).filter(([k]) => k !== 'exp'))),
      ],
      [
        'real key, no jti',
        await real(Object.fromEntries(Object.entries(claims).filter(([k]) => k !== 'jti'))),
      ],
      [
        'real key, no sid',
        await real(Object.fromEntries(Object.entries(claims).filter(([k]) => k !== 'sid'))),
      ],
      ['real key, sub of another user with the victim sid', await real({ ...claims, sub: bystander.id })],
      ['real key, sid of another user', await real({ ...claims, sid: bystander.sid })],
      [
        'real key, unknown crit header',
        // jose refuses to sign it, so sign by hand: exactly what an attacker holding no key cannot do.
        ((signingInput) =>
          `${signingInput}.${cryptoSign(null, Buffer.from(signingInput), ed.privateKey).toString('base64url')}`)(
          `${b64json({ alg: 'EdDSA', kid: ed.kid, typ: 'at+jwt', crit: ['x-unknown'], 'x-unknown': 1 })}.${b64json(claims)}`,
        ),
      ],
      ['access token of tenant other', foreigner.access],
      ['refresh token as access token', victim.refresh],
      ['garbage', 'abc'],
      ['three empty parts', '..'],
      ['three dots of garbage', 'a.b.c'],
      ['JSON array header', `${b64json([1])}.${p}.${s}`],
      ['header not JSON', `${Buffer.from('not json').toString('base64url')}.${p}.${s}`],
      ['8000 characters', `${h}.${'a'.repeat(8000)}.${s}`],
    ];
  });
  after(() => t?.close());

  /** Malformed Authorization headers and hostile bearer tokens: every one a 401 invalid_token. */
  function bearerCases(method: Case['method'], path: string, body?: Record<string, unknown>): Case[] {
    const base = body === undefined ? {} : { body: JSON.stringify(body) };
    const contentType = body === undefined ? {} : JSON_TYPE;
    const authorizations: [string, string][] = [
      ['no Authorization', ''],
      ['scheme only', 'Bearer'],
      ['scheme and space', 'Bearer '],
      ['Basic', 'Basic x'],
      ['Basic credentials', `Basic ${Buffer.from(`${victim.email}:${victim.password}`).toString('base64')}`],
      ['two tokens', 'Bearer a b'],
      ['valid token plus junk', `Bearer ${victim.access} x`],
      ['valid token twice', `Bearer ${victim.access}, Bearer ${victim.access}`],
      ['tab separator', `Bearer\t${victim.access}`],
      ['two spaces', `Bearer  ${victim.access}`],
      ['other scheme', `Token ${victim.access}`],
      ['SQL token', `Bearer ${SQL[0]!}`],
      ['quoted token', `Bearer "${victim.access}"`],
      ...forgedTokens.map(([label, token]): [string, string] => [label, `Bearer ${token}`]),
    ];
    return authorizations.map(([label, authorization]) => ({
      name: `Authorization: ${label}`,
      method,
      path,
      ...base,
      headers: { ...contentType, ...(authorization ? { authorization } : {}) },
      ...INVALID_TOKEN,
    }));
  }

  /**
   * The body of logout and verify-email/send is optional (bearer only): a few bearer cases without any
   * body, which must still be refused as invalid_token.
   */
  const noBody = (cases: Case[]) =>
    cases
      .filter((c) => /: (no Authorization|Basic|signature byte flipped|alg none)$/.test(c.name))
      .map((c) => ({ ...c, name: `no body, ${c.name}` }));

  /** Unknown and hostile tenants, and tenant_id against the /t/ prefix. `valid` must succeed as is. */
  function tenantCases(
    method: Case['method'],
    path: string,
    options: {
      /** A request that would succeed in tenant `other` (through /t/other). */
      foreign: { body?: Record<string, unknown>; query?: string; headers?: Record<string, string> };
      audit?: readonly string[];
    },
  ): Case[] {
    const { foreign } = options;
    const bodyOf = (extra: Record<string, unknown>) =>
      foreign.body === undefined ? {} : { body: JSON.stringify({ ...foreign.body, ...extra }) };
    const queryOf = (extra: string) => {
      const parts = [foreign.query, extra].filter(Boolean).join('&');
      return parts ? `?${parts}` : '';
    };
    const headers = { ...(foreign.body === undefined ? {} : JSON_TYPE), ...foreign.headers };
    const at = (prefix: string, query = '') => `${prefix}${path}${queryOf(query)}`;
    const cases: Case[] = [
      { name: 'unknown tenant prefix', method, path: at('/t/nope'), ...bodyOf({}), headers, ...NOT_FOUND },
      {
        name: 'upper-case tenant prefix',
        method,
        path: at('/t/OTHER'),
        ...bodyOf({}),
        headers,
        ...NOT_FOUND,
      },
      ...SQL.slice(0, 2).map((sql): Case => ({
        name: `SQL tenant prefix ${sql}`,
        method,
        path: at(`/t/${encodeURIComponent(sql)}`),
        ...bodyOf({}),
        headers,
        ...NOT_FOUND,
      })),
      {
        name: 'NUL tenant prefix',
        method,
        path: at('/t/other%00'),
        ...bodyOf({}),
        headers,
        ...NOT_FOUND,
        unstorable: true,
      },
      {
        name: 'UUID-shaped unknown tenant prefix',
        method,
        path: at('/t/00000000-0000-0000-0000-000000000000'),
        ...bodyOf({}),
        headers,
        ...NOT_FOUND,
      },
      {
        name: '36 dashes as tenant prefix',
        method,
        path: at(`/t/${'-'.repeat(36)}`),
        ...bodyOf({}),
        headers,
        ...NOT_FOUND,
      },
      {
        name: '64-character tenant prefix',
        method,
        path: at(`/t/${'a'.repeat(64)}`),
        ...bodyOf({}),
        headers,
        status: [400, 404],
        error: ['invalid_request', 'not_found'],
      },
    ];
    // tenant_id that disagrees with the prefix: refused, even though the request is valid in either tenant.
    const conflicts: [string, string][] = [
      ['tenant_id default under /t/other', 'default'],
      ['tenant_id = id of default under /t/other', defaultId],
    ];
    for (const [label, tenantId] of conflicts) {
      if (foreign.body !== undefined) {
        cases.push({
          name: `body ${label}`,
          method,
          path: at('/t/other'),
          ...bodyOf({ tenant_id: tenantId }),
          headers,
          ...BAD_REQUEST,
          audit: options.audit,
        });
      } else {
        cases.push({
          name: `query ${label}`,
          method,
          path: at('/t/other', `tenant_id=${tenantId}`),
          headers,
          ...BAD_REQUEST,
          audit: options.audit,
        });
      }
    }
    // tenant_id naming nothing, or not a tenant id at all.
    const badIds: [string, string, Pick<Case, 'status' | 'error'>][] = [
      ['unknown', 'nope', NOT_FOUND],
      ['SQL', SQL[0]!, NOT_FOUND],
      ['SQL drop', SQL[1]!, NOT_FOUND],
      ['NUL', 'other\u0000', NOT_FOUND],
      ['1000 characters', 'a'.repeat(1000), BAD_REQUEST],
    ];
    for (const [label, value, expect] of badIds) {
      if (foreign.body !== undefined) {
        cases.push({
          name: `body tenant_id ${label}`,
          method,
          path: at(''),
          ...bodyOf({ tenant_id: value }),
          headers,
          ...expect,
          unstorable: unstorable(value),
        });
      } else {
        cases.push({
          name: `query tenant_id ${label}`,
          method,
          path: at('', `tenant_id=${encodeURIComponent(value)}`),
          headers,
          ...expect,
          unstorable: unstorable(value),
        });
      }
    }
    if (foreign.body !== undefined) {
      cases.push({
        name: 'body tenant_id 100k characters',
        method,
        path: at(''),
        ...bodyOf({ tenant_id: LONG }),
        headers,
        ...BAD_REQUEST,
      });
      for (const [label, value] of WRONG_TYPES.slice(0, 8)) {
        cases.push({
          name: `body tenant_id ${label}`,
          method,
          path: at(''),
          ...bodyOf({ tenant_id: value }),
          headers,
          ...BAD_REQUEST,
        });
      }
    } else {
      cases.push(
        {
          name: 'query tenant_id twice',
          method,
          path: at('', 'tenant_id=default&tenant_id=other'),
          headers,
          ...BAD_REQUEST,
        },
        { name: 'query tenant_id empty', method, path: at('', 'tenant_id='), headers, ...BAD_REQUEST },
      );
    }
    return cases;
  }

  /** Session cookies that are not a live session of this tenant. */
  function cookieCases(
    method: Case['method'],
    path: string,
    expect: Pick<Case, 'status' | 'error' | 'success'>,
  ): Case[] {
    const cookies: [string, string, string][] = [
      ['no cookie', '', ''],
      ['empty value', '', 'hj_session='],
      ['short value', '', 'hj_session=x'],
      ['unknown well-formed value', '', `hj_session=${randomBytes(32).toString('base64url')}`],
      ['SQL value', '', `hj_session=${encodeURIComponent(SQL[0]!)}`],
      ['raw SQL value', '', `hj_session=${SQL[1]!.replace(/;/g, '')}`],
      ['NUL value', '', 'hj_session=%00'],
      ['lone surrogate value (CESU-8)', '', 'hj_session=%ED%A0%80'],
      ['invalid percent-encoding', '', 'hj_session=%E0%A4%A'],
      ['8000 characters', '', `hj_session=${'a'.repeat(8000)}`],
      ['valid value plus a character', '', `hj_session=${victimCookie}x`],
      ['valid value truncated', '', `hj_session=${victimCookie.slice(0, 42)}`],
      ['access token as cookie', '', `hj_session=${victim.access}`],
      ['refresh token as cookie', '', `hj_session=${victim.refresh}`],
      ['name only', '', 'hj_session'],
      ['garbage header', '', '=;=;;;'],
      ['unterminated quote', '', 'hj_session="abc'],
      ['cookie of tenant other under the default name', '', `hj_session=${foreignerCookie}`],
      ['cookie of tenant other under its own name', '', `hj_session-other=${foreignerCookie}`],
      ['default cookie under the name of tenant other', '/t/other', `hj_session-other=${victimCookie}`],
      ['default cookie under the default name at /t/other', '/t/other', `hj_session=${victimCookie}`],
    ];
    return cookies.map(([label, prefix, cookie]): Case => ({
      name: `Cookie: ${label}`,
      method,
      path: `${prefix}${path}`,
      headers: cookie ? { cookie } : {},
      ...expect,
    }));
  }

  // --- the endpoints ------------------------------------------------------------------------------------

  test('POST /v2/auth/register', async () => {
    const path = '/v2/auth/register';
    const valid = { email: 'hostile.register@example.com', password: STRONG_PASSWORD, name: 'Hostile' };
    await runCases(t, [
      ...bodyCases('POST', path, valid),
      ...fieldCases('POST', path, valid, [
        { name: 'email', required: true, long: LONG_EMAIL },
        { name: 'password', required: true, long: LONG },
        { name: 'name', required: false, long: LONG, minLength: false },
        { name: 'client_id', required: false, long: LONG },
      ]),
      ...valueCases('POST', path, valid, 'email', BAD_EMAILS, BAD_REQUEST),
      ...valueCases('POST', path, valid, 'name', BAD_NAMES, BAD_REQUEST),
      jsonCase(
        'password: 1025 characters',
        'POST',
        path,
        { ...valid, password: 'Aa1!'.repeat(257).slice(0, 1025) },
        BAD_REQUEST,
      ),
      jsonCase(
        'password: over the policy maximum',
        'POST',
        path,
        { ...valid, password: `${STRONG_PASSWORD}${'x'.repeat(200)}` },
        {
          status: 400,
          error: 'weak_password',
        },
      ),
      jsonCase(
        'email of an existing user, other case',
        'POST',
        path,
        { ...valid, email: victim.email.toUpperCase() },
        {
          status: 409,
          error: 'email_taken',
        },
      ),
      ...tenantCases('POST', path, {
        foreign: { body: { email: uniqueEmail('foreign'), password: STRONG_PASSWORD } },
      }),
    ]);
  });

  test('POST /v2/auth/login', async () => {
    const path = '/v2/auth/login';
    const failed = ['login.failed'];
    const valid = { email: victim.email, password: 'Wrong-Password-123' };
    const credentials = { status: 401, error: 'invalid_credentials', audit: failed } as const;
    await runCases(t, [
      ...bodyCases('POST', path, valid),
      ...fieldCases('POST', path, valid, [
        { name: 'email', required: true, long: LONG_EMAIL },
        { name: 'password', required: true, long: LONG },
        { name: 'client_id', required: false, long: LONG },
      ]),
      ...valueCases('POST', path, valid, 'email', ODD_EMAILS, credentials),
      ...valueCases(
        'POST',
        path,
        valid,
        'password',
        [
          ...SQL.map((s): [string, string] => [`sql ${s}`, s]),
          ['NUL', `${victim.password}\u0000`],
          ['lone surrogate', `${victim.password}\ud800`],
          ['CRLF', `${victim.password}\r\n`],
          ['1024 characters', 'p'.repeat(1024)],
        ],
        credentials,
      ),
      ...tenantCases('POST', path, {
        foreign: { body: { email: foreigner.email, password: foreigner.password } },
        audit: failed,
      }),
      jsonCase(
        'victim credentials in tenant other',
        'POST',
        `/t/other${path}`,
        { email: victim.email, password: victim.password },
        credentials,
      ),
      jsonCase(
        'victim credentials with tenant_id other',
        'POST',
        path,
        { email: victim.email, password: victim.password, tenant_id: 'other' },
        credentials,
      ),
    ]);
  });

  test('POST /v2/auth/refresh', async () => {
    const path = '/v2/auth/refresh';
    const valid = { refresh_token: spare.refresh };
    const victimBody = { refresh_token: victim.refresh };
    const hostileTokens: [string, string][] = [
      ...SQL.map((s): [string, string] => [`sql ${s}`, s]),
      ['43 SQL-ish characters', `'OR'1'='1'--${'a'.repeat(31)}`],
      ['unknown well-formed token', randomBytes(32).toString('base64url')],
      ['valid token with a space', ` ${victim.refresh}`],
      ['valid token with a newline', `${victim.refresh}\n`],
      ['valid token upper-cased', victim.refresh.toUpperCase()],
      ['valid token plus NUL', `${victim.refresh.slice(0, 42)}\u0000`],
      ['lone surrogate', `${victim.refresh.slice(0, 42)}\ud800`],
      ['access token', victim.access.slice(0, 256)],
      ['reset token', victimReset],
      ['token of tenant other', foreigner.refresh],
    ];
    await runCases(t, [
      ...bodyCases('POST', path, valid),
      ...fieldCases('POST', path, valid, [
        { name: 'refresh_token', required: true, long: LONG },
        { name: 'client_id', required: false, long: LONG },
      ]),
      ...valueCases('POST', path, valid, 'refresh_token', hostileTokens, INVALID_GRANT),
      jsonCase('victim token at /t/other', 'POST', `/t/other${path}`, victimBody, INVALID_GRANT),
      jsonCase(
        'victim token with tenant_id other',
        'POST',
        path,
        { ...victimBody, tenant_id: 'other' },
        INVALID_GRANT,
      ),
      jsonCase(
        'victim token with tenant_id = id of other',
        'POST',
        path,
        { ...victimBody, tenant_id: otherId },
        INVALID_GRANT,
      ),
      jsonCase(
        'refresh_token: the valid token in an array',
        'POST',
        path,
        { refresh_token: [victim.refresh] },
        BAD_REQUEST,
      ),
      ...tenantCases('POST', path, { foreign: { body: { refresh_token: foreigner.refresh } } }),
    ]);
  });

  test('POST /v2/auth/logout', async () => {
    const path = '/v2/auth/logout';
    const valid = { refresh_token: spare.refresh };
    const victimBody = { refresh_token: victim.refresh };
    await runCases(t, [
      ...bodyCases('POST', path, valid),
      ...fieldCases('POST', path, valid, [{ name: 'refresh_token', required: false, long: LONG }]),
      // `all` is a boolean; a coerced "true" would end every session of the account.
      ...[
        ['string "true"', 'true'],
        ['number 1', 1],
        ['array [true]', [true]],
        ['null', null],
        ['object', {}],
      ].map(([label, all]: unknown[]) =>
        jsonCase(`all: ${label as string}`, 'POST', path, { ...valid, all }, BAD_REQUEST),
      ),
      ...valueCases(
        'POST',
        path,
        valid,
        'refresh_token',
        [
          ...SQL.map((s): [string, string] => [`sql ${s}`, s]),
          ['unknown well-formed token', randomBytes(32).toString('base64url')],
          ['token of tenant other', foreigner.refresh],
          ['reset token', victimReset],
        ],
        INVALID_GRANT,
      ),
      jsonCase(
        'token of tenant other with all',
        'POST',
        path,
        { refresh_token: foreigner.refresh, all: true },
        INVALID_GRANT,
      ),
      jsonCase(
        'victim token at /t/other',
        'POST',
        `/t/other${path}`,
        { ...victimBody, all: true },
        INVALID_GRANT,
      ),
      jsonCase(
        'victim token with tenant_id other',
        'POST',
        path,
        { ...victimBody, tenant_id: 'other' },
        INVALID_GRANT,
      ),
      ...bearerCases('POST', path, { all: true }),
      ...noBody(bearerCases('POST', path)),
      {
        name: 'bearer of tenant other at the default tenant, all',
        method: 'POST',
        path,
        body: JSON.stringify({ all: true }),
        headers: { ...JSON_TYPE, authorization: `Bearer ${foreigner.access}` },
        ...INVALID_TOKEN,
      },
      {
        name: 'victim bearer at /t/other, all',
        method: 'POST',
        path: `/t/other${path}`,
        body: JSON.stringify({ all: true }),
        headers: { ...JSON_TYPE, authorization: `Bearer ${victim.access}` },
        ...INVALID_TOKEN,
      },
      ...tenantCases('POST', path, { foreign: { body: { refresh_token: foreigner.refresh } } }),
    ]);
  });

  test('POST /v2/auth/forgot', async () => {
    const path = '/v2/auth/forgot';
    const valid = { email: 'nobody.forgot@example.com' };
    // Always 202 for a well-formed request, and for an address that is no account nothing is written.
    const accepted = { status: 202, success: true } as const;
    await runCases(t, [
      ...bodyCases('POST', path, valid),
      ...fieldCases('POST', path, valid, [{ name: 'email', required: true, long: LONG_EMAIL }]),
      ...valueCases('POST', path, valid, 'email', ODD_EMAILS, accepted),
      jsonCase('victim email in tenant other', 'POST', `/t/other${path}`, { email: victim.email }, accepted),
      jsonCase(
        'victim email with tenant_id other',
        'POST',
        path,
        { email: victim.email, tenant_id: 'other' },
        accepted,
      ),
      ...tenantCases('POST', path, { foreign: { body: { email: foreigner.email } } }),
    ]);
  });

  test('POST /v2/auth/reset-password', async () => {
    const path = '/v2/auth/reset-password';
    const valid = { token: spareReset, password: 'A-Brand-New-Password-77' };
    const victimBody = { token: victimReset, password: 'A-Brand-New-Password-77' };
    await runCases(t, [
      ...bodyCases('POST', path, valid),
      ...fieldCases('POST', path, valid, [
        { name: 'token', required: true, long: LONG },
        { name: 'password', required: true, long: LONG },
      ]),
      ...valueCases(
        'POST',
        path,
        valid,
        'token',
        [
          ...SQL.map((s): [string, string] => [`sql ${s}`, s]),
          ['unknown well-formed token', randomBytes(32).toString('base64url')],
          ['token with a trailing space', `${victimReset} `],
          ['lone surrogate', `${victimReset.slice(0, 42)}\ud800`],
          ['verification token', victimVerify],
          ['refresh token', victim.refresh],
          ['reset token of tenant other', foreignReset],
        ],
        INVALID_GRANT,
      ),
      jsonCase('victim token at /t/other', 'POST', `/t/other${path}`, victimBody, INVALID_GRANT),
      jsonCase(
        'victim token with tenant_id other',
        'POST',
        path,
        { ...victimBody, tenant_id: 'other' },
        INVALID_GRANT,
      ),
      // A weak password must not spend the token (the digest of email_tokens would change).
      jsonCase(
        'weak password',
        'POST',
        path,
        { ...victimBody, password: 'password' },
        { status: 400, error: 'weak_password' },
      ),
      ...tenantCases('POST', path, {
        foreign: { body: { token: foreignReset, password: 'A-Brand-New-Password-77' } },
      }),
    ]);
  });

  test('POST /v2/auth/verify-email/send', async () => {
    const path = '/v2/auth/verify-email/send';
    const valid = { email: 'nobody.verify@example.com' };
    const accepted = { status: 202, success: true } as const;
    await runCases(t, [
      ...bodyCases('POST', path, valid),
      ...fieldCases('POST', path, valid, [{ name: 'email', required: false, long: LONG_EMAIL }]),
      ...valueCases('POST', path, valid, 'email', ODD_EMAILS, accepted),
      jsonCase(
        'unverified user of tenant other, at the default tenant',
        'POST',
        path,
        { email: foreigner.email },
        accepted,
      ),
      ...bearerCases('POST', path, {}),
      ...noBody(bearerCases('POST', path)),
      ...tenantCases('POST', path, { foreign: { body: { email: foreigner.email } } }),
    ]);
  });

  test('GET /v2/auth/verify-email', async () => {
    const path = '/v2/auth/verify-email';
    const tokenCase = (
      name: string,
      query: string,
      expect = INVALID_GRANT as Pick<Case, 'status' | 'error'>,
    ): Case => ({
      name,
      method: 'GET',
      path: `${path}${query}`,
      ...expect,
    });
    const cases: Case[] = [
      tokenCase('no token', '', BAD_REQUEST),
      tokenCase('empty token', '?token=', BAD_REQUEST),
      tokenCase('token twice', `?token=${victimVerify}&token=${victimVerify}`, BAD_REQUEST),
      tokenCase('token as object', `?token[a]=${victimVerify}`, BAD_REQUEST),
      tokenCase('257 characters', `?token=${'a'.repeat(257)}`, BAD_REQUEST),
      tokenCase('10000 characters', `?token=${'a'.repeat(10_000)}`, BAD_REQUEST),
      // Over Node's header limit: still a 4xx with the documented error JSON.
      tokenCase('100k characters', `?token=${LONG}`, { status: [413, 414, 431], error: undefined }),
      ...SQL.map((s) => tokenCase(`sql ${s}`, `?token=${encodeURIComponent(s)}`)),
      { ...tokenCase('NUL', '?token=%00'), unstorable: true },
      tokenCase('CRLF', `?token=${victimVerify}%0D%0A`),
      { ...tokenCase('lone surrogate (CESU-8)', '?token=%ED%A0%80'), unstorable: true },
      tokenCase('invalid percent-encoding', '?token=%E0%A4%A'),
      tokenCase('unknown well-formed token', `?token=${randomBytes(32).toString('base64url')}`),
      tokenCase('reset token', `?token=${victimReset}`),
      tokenCase('refresh token', `?token=${victim.refresh}`),
      tokenCase('verification token of tenant other', `?token=${foreignVerify}`),
      {
        name: 'victim token at /t/other',
        method: 'GET',
        path: `/t/other${path}?token=${victimVerify}`,
        ...INVALID_GRANT,
      },
      {
        name: 'victim token with tenant_id other',
        method: 'GET',
        path: `${path}?token=${victimVerify}&tenant_id=other`,
        ...INVALID_GRANT,
      },
      ...tenantCases('GET', path, { foreign: { query: `token=${foreignVerify}` } }),
    ];
    await runCases(t, cases);

    // A browser gets an HTML page instead of JSON; it must not reflect the token.
    const html = await fetch(`${t.base}${path}?token=${encodeURIComponent('<script>alert(1)</script>')}`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(html.status, 400);
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.doesNotMatch(await html.text(), /<script/i);
  });

  test('GET /v2/me', async () => {
    await runCases(t, [
      ...bearerCases('GET', '/v2/me'),
      {
        name: 'Authorization: 100k-character token',
        method: 'GET',
        path: '/v2/me',
        headers: { authorization: `Bearer ${LONG}` },
        status: [400, 401, 413, 431],
      },
      {
        name: 'victim token at /t/other',
        method: 'GET',
        path: '/t/other/v2/me',
        headers: { authorization: `Bearer ${victim.access}` },
        ...INVALID_TOKEN,
      },
      {
        name: 'victim token with tenant_id other',
        method: 'GET',
        path: '/v2/me?tenant_id=other',
        headers: { authorization: `Bearer ${victim.access}` },
        ...INVALID_TOKEN,
      },
      ...tenantCases('GET', '/v2/me', {
        foreign: { headers: { authorization: `Bearer ${foreigner.access}` } },
      }),
    ]);
  });

  test('GET /v2/auth/sessions', async () => {
    const path = '/v2/auth/sessions';
    await runCases(t, [
      ...bearerCases('GET', path),
      {
        name: 'victim token at /t/other',
        method: 'GET',
        path: `/t/other${path}`,
        headers: { authorization: `Bearer ${victim.access}` },
        ...INVALID_TOKEN,
      },
      ...tenantCases('GET', path, { foreign: { headers: { authorization: `Bearer ${foreigner.access}` } } }),
    ]);
  });

  /** Session ids that are not one of the victim's sessions, in every hostile shape. */
  const foreignSessionIds = (): [string, string, Pick<Case, 'status' | 'error'>][] => [
    ['not a UUID', 'not-a-uuid', BAD_REQUEST],
    ['SQL', encodeURIComponent(SQL[0]!), BAD_REQUEST],
    ['SQL drop', encodeURIComponent(SQL[1]!), BAD_REQUEST],
    ['NUL', `${bystander.sid.slice(0, 35)}%00`, BAD_REQUEST],
    ['100 characters', 'a'.repeat(100), BAD_REQUEST],
    ['bystander session', bystander.sid, NOT_FOUND],
    ['bystander session, upper case', bystander.sid.toUpperCase(), NOT_FOUND],
    [
      'bystander session, urn:uuid: prefix',
      `urn:uuid:${bystander.sid}`,
      { status: [400, 404], error: ['invalid_request', 'not_found'] },
    ],
    [
      'bystander session in braces',
      `%7B${bystander.sid}%7D`,
      { status: [400, 404], error: ['invalid_request', 'not_found'] },
    ],
    ['session of tenant other', foreigner.sid, NOT_FOUND],
    ['nil UUID', '00000000-0000-0000-0000-000000000000', NOT_FOUND],
  ];

  for (const method of ['GET', 'DELETE'] as const) {
    test(`${method} /v2/auth/sessions/{id}`, async () => {
      const own = `/v2/auth/sessions/${victimSecond.sid}`;
      const auth = { authorization: `Bearer ${victim.access}` };
      const cases: Case[] = [
        ...bearerCases(method, own),
        ...foreignSessionIds().map(([label, id, expect]): Case => ({
          name: `id: ${label}`,
          method,
          path: `/v2/auth/sessions/${id}`,
          headers: auth,
          ...expect,
        })),
        { name: 'victim token at /t/other', method, path: `/t/other${own}`, headers: auth, ...INVALID_TOKEN },
        {
          name: 'session of tenant other, by its owner, at the default tenant',
          method,
          path: `/v2/auth/sessions/${foreigner.sid}`,
          headers: { authorization: `Bearer ${foreigner.access}` },
          ...INVALID_TOKEN,
        },
        ...tenantCases(method, `/v2/auth/sessions/${foreigner.sid}`, {
          foreign: { headers: { authorization: `Bearer ${foreigner.access}` } },
        }),
      ];
      if (method === 'DELETE') {
        cases.push({
          name: '10 MB body',
          method,
          path: `/v2/auth/sessions/${bystander.sid}`,
          body: hugeBody,
          headers: { ...JSON_TYPE, ...auth },
          status: 413,
          error: 'payload_too_large',
        });
      }
      await runCases(t, cases);
    });
  }

  test('POST /v2/session/login', async () => {
    const path = '/v2/session/login';
    const failed = ['login.failed'];
    const valid = { email: victim.email, password: 'Wrong-Password-123' };
    const credentials = { status: 401, error: 'invalid_credentials', audit: failed } as const;
    await runCases(t, [
      ...bodyCases('POST', path, valid),
      ...fieldCases('POST', path, valid, [
        { name: 'email', required: true, long: LONG_EMAIL },
        { name: 'password', required: true, long: LONG },
      ]),
      ...valueCases('POST', path, valid, 'email', ODD_EMAILS, credentials),
      ...valueCases(
        'POST',
        path,
        valid,
        'password',
        SQL.map((s): [string, string] => [`sql ${s}`, s]),
        credentials,
      ),
      jsonCase(
        'victim credentials in tenant other',
        'POST',
        `/t/other${path}`,
        { email: victim.email, password: victim.password },
        credentials,
      ),
      ...tenantCases('POST', path, {
        foreign: { body: { email: foreigner.email, password: foreigner.password } },
        audit: failed,
      }),
    ]);
  });

  test('GET /v2/session', async () => {
    await runCases(t, [
      ...cookieCases('GET', '/v2/session', LOGIN_REQUIRED),
      ...tenantCases('GET', '/v2/session', {
        foreign: { headers: { cookie: `hj_session-other=${foreignerCookie}` } },
      }),
    ]);
  });

  test('GET /v2/session/token', async () => {
    await runCases(t, [
      ...cookieCases('GET', '/v2/session/token', LOGIN_REQUIRED),
      ...tenantCases('GET', '/v2/session/token', {
        foreign: { headers: { cookie: `hj_session-other=${foreignerCookie}` } },
      }),
    ]);
  });

  test('DELETE /v2/session', async () => {
    // Ending a session that is not there is a no-op (204, cookie cleared); what matters is that no cookie
    // but the tenant's own ends anything — the digests show the other sessions untouched.
    await runCases(t, [
      ...cookieCases('DELETE', '/v2/session', { status: 204, success: true }),
      ...tenantCases('DELETE', '/v2/session', {
        foreign: { headers: { cookie: `hj_session-other=${foreignerCookie}` } },
      }),
      {
        name: '10 MB body',
        method: 'DELETE',
        path: '/v2/session',
        body: hugeBody,
        headers: { ...JSON_TYPE, cookie: `hj_session=${victimCookie}` },
        status: 413,
        error: 'payload_too_large',
      },
    ]);
  });

  for (const path of ['/v2/auth/config', '/v2/auth/password-policy']) {
    test(`GET ${path}`, async () => {
      await runCases(t, [
        ...tenantCases('GET', path, { foreign: {} }),
        {
          name: 'unsafe X-Request-Id is not echoed',
          method: 'GET',
          path: `/t/nope${path}`,
          headers: { 'x-request-id': '<script>alert(1)</script>' },
          ...NOT_FOUND,
        },
        {
          name: '200-character X-Request-Id is not echoed',
          method: 'GET',
          path: `/t/nope${path}`,
          headers: { 'x-request-id': 'a'.repeat(200) },
          ...NOT_FOUND,
        },
      ]);
    });
  }

  // --- what gets through validation is stored as sent --------------------------------------------------

  test('register: SQL-looking values that pass validation are stored literally; unknown fields never', async () => {
    const before = (await t.db.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0]!.n;
    const inputs = [
      {
        email: `o'reilly'--.${Date.now()}@example.com`,
        name: "Robert'); DROP TABLE users; --",
        password: `x'; DROP TABLE users; -- ${STRONG_PASSWORD}`,
      },
      {
        // No ';' (not allowed unquoted in an address, see src/auth/email-address.ts), still SQL to a naive eye.
        email: `x'/**/OR/**/1=1/**/--.${Date.now()}@example.com`,
        name: "' OR 1=1 --",
        password: `' OR '1'='1' -- ${STRONG_PASSWORD}`,
      },
      {
        email: `'OR'1'='1'--.${Date.now()}@example.com`,
        name: '"; DELETE FROM sessions; --',
        password: `"); TRUNCATE tenants CASCADE; -- ${STRONG_PASSWORD}`,
      },
    ];
    for (const input of inputs) {
      const response = await t.post('/v2/auth/register', {
        ...input,
        // Not in the schema: dropped, never written.
        email_verified: true,
        blocked: true,
        id: '00000000-0000-0000-0000-000000000001',
        password_hash: '$argon2id$v=19$m=1024,t=1,p=1$forged',
      });
      assert.equal(response.status, 201, `${input.email}: ${JSON.stringify(response.body)}`);
      const id = (response.body.user as { id: string }).id;
      const row = (
        await t.db.query<{
          email: string;
          name: string;
          email_verified: boolean;
          blocked: boolean;
          password_hash: string;
        }>('SELECT email, name, email_verified, blocked, password_hash FROM users WHERE id = $1', [id])
      ).rows[0]!;
      assert.equal(row.email, input.email);
      assert.equal(row.name, input.name);
      assert.equal(row.email_verified, false);
      assert.equal(row.blocked, false);
      assert.notEqual(id, '00000000-0000-0000-0000-000000000001');
      assert.match(row.password_hash, /^\$argon2id\$/);
      assert.doesNotMatch(row.password_hash, /forged/);
      const ok = await t.post('/v2/auth/login', { email: input.email, password: input.password });
      assert.equal(ok.status, 200, 'the SQL-looking password is the password');
      const injected = await t.post('/v2/auth/login', { email: input.email, password: "' OR 1=1 --" });
      assert.equal(injected.status, 401);
    }
    for (const table of ['users', 'sessions', 'tenants', 'refresh_tokens', 'email_tokens']) {
      const exists = await t.db.query<{ r: string | null }>(`SELECT to_regclass($1)::text AS r`, [
        `public.${table}`,
      ]);
      assert.equal(exists.rows[0]!.r, table, `${table} still exists`);
    }
    const afterCount = (await t.db.query<{ n: string }>('SELECT count(*) AS n FROM users')).rows[0]!.n;
    assert.equal(Number(afterCount), Number(before) + inputs.length);
    const me = await t.get('/v2/me', { authorization: `Bearer ${victim.access}` });
    assert.equal(me.status, 200, 'the victim session survived every hostile request before this one');
  });

  test('register: odd Unicode in emails and names is refused with 400 or stored as sent (emails normalised)', async () => {
    const stamp = Date.now();
    const emails: [string, string][] = [
      ['lone high surrogate', `a\ud800b.${stamp}@example.com`],
      ['lone low surrogate', `b\udc00c.${stamp}@example.com`],
      ['combining marks', `e\u0301.${stamp}@example.com`],
      ['emoji', `\u{1F600}.${stamp}@example.com`],
      ['ZWJ emoji sequence', `\u{1F469}\u200d\u{1F4BB}.${stamp}@example.com`],
    ];
    const names: [string, string][] = [
      ['lone high surrogate', 'Eve\ud800'],
      ['lone low surrogate', '\udc00Eve'],
      ['RTL override', 'Eve\u202egnp.exe'],
      ['zero-width joiner', 'E\u200dve'],
      ['combining marks', 'Zo\u00eb Z\u0061\u0308'],
      ['stacked combining marks', `Z${'\u0301'.repeat(50)}`],
      ['emoji', '\u{1F469}\u200d\u{1F4BB} Dev'],
      ['Arabic', '\u0645\u0631\u062d\u0628\u0627'],
    ];
    const problems: string[] = [];
    const attempt = async (label: string, body: { email: string; password: string; name?: string }) => {
      const counts = await snapshot(t);
      // JSON.stringify writes lone surrogates as the escapes "\ud800": the raw JSON a hostile client sends.
      const raw = JSON.stringify(body);
      const response = await fetch(`${t.base}/v2/auth/register`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: raw,
      });
      const text = await response.text();
      if (response.status === 400) {
        const error = (JSON.parse(text) as { error: string }).error;
        if (error !== 'invalid_request') problems.push(`${label}: 400 ${error}`);
        const written = compareSnapshots(counts, await snapshot(t), []);
        if (written.length) problems.push(`${label}: refused but ${written.join(', ')}`);
        return null;
      }
      if (response.status !== 201) {
        problems.push(`${label}: status ${response.status} ${text.slice(0, 160)}`);
        return null;
      }
      const id = (JSON.parse(text) as { user: { id: string } }).user.id;
      const row = (
        await t.db.query<{ email: string; name: string | null }>(
          'SELECT email, name FROM users WHERE id = $1',
          [id],
        )
      ).rows[0]!;
      const expectedName = body.name?.normalize('NFC').trim() ?? null;
      // An address is stored in its normalised form (NFKC) unless it differs from it only in ASCII case.
      const expectedEmail = body.email.normalize('NFKC');
      if (row.email !== expectedEmail) {
        problems.push(
          `${label}: stored email ${JSON.stringify(row.email)} instead of ${JSON.stringify(expectedEmail)}`,
        );
      }
      if (body.name !== undefined && row.name !== expectedName) {
        problems.push(
          `${label}: stored name ${JSON.stringify(row.name)} instead of ${JSON.stringify(expectedName)}`,
        );
      }
      return row;
    };
    for (const [label, email] of emails) {
      const row = await attempt(`email ${label}`, { email, password: STRONG_PASSWORD });
      if (row && label === 'combining marks') {
        // The same address in NFC is the same account.
        const precomposed = await t.post('/v2/auth/register', {
          email: email.normalize('NFC'),
          password: STRONG_PASSWORD,
        });
        if (precomposed.status !== 409)
          problems.push(`NFC twin of ${JSON.stringify(email)}: status ${precomposed.status}`);
      }
    }
    for (const [label, name] of names) {
      await attempt(`name ${label}`, { email: uniqueEmail('unicode'), password: STRONG_PASSWORD, name });
    }
    assert.deepEqual(problems, []);
  });

  test('access tokens really expire (ACCESS_TTL=1s)', async () => {
    const short = await startTestApp({ ...ENV, ACCESS_TTL: '1s' });
    try {
      const user = await register(short);
      const claims = decodeJwt(user.access);
      assert.equal(claims.exp! - claims.iat!, 1);
      // A fresh token works (retried: a 1 s token can expire between issue and use at a second boundary).
      let fresh = 0;
      for (let i = 0; i < 3 && fresh !== 200; i++) {
        const pair = await short.post('/v2/auth/refresh', { refresh_token: user.refresh });
        user.refresh = pair.body.refresh_token as string;
        fresh = (await short.get('/v2/me', { authorization: `Bearer ${pair.body.access_token as string}` }))
          .status;
      }
      assert.equal(fresh, 200, 'a fresh token is accepted');
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const bearer = { authorization: `Bearer ${user.access}` };
      await runCases(short, [
        { name: 'expired token', method: 'GET', path: '/v2/me', headers: bearer, ...INVALID_TOKEN },
        {
          name: 'expired token',
          method: 'GET',
          path: '/v2/auth/sessions',
          headers: bearer,
          ...INVALID_TOKEN,
        },
        {
          name: 'expired token',
          method: 'GET',
          path: `/v2/auth/sessions/${user.sid}`,
          headers: bearer,
          ...INVALID_TOKEN,
        },
        {
          name: 'expired token',
          method: 'DELETE',
          path: `/v2/auth/sessions/${user.sid}`,
          headers: bearer,
          ...INVALID_TOKEN,
        },
        {
          name: 'expired token',
          method: 'POST',
          path: '/v2/auth/logout',
          body: JSON.stringify({ all: true }),
          headers: { ...JSON_TYPE, ...bearer },
          ...INVALID_TOKEN,
        },
        {
          name: 'expired token',
          method: 'POST',
          path: '/v2/auth/verify-email/send',
          body: '{}',
          headers: { ...JSON_TYPE, ...bearer },
          ...INVALID_TOKEN,
        },
      ]);
    } finally {
      await short.close();
    }
  });
});

/** The PEM (SPKI) of a published key of the default tenant, as an attacker would take it from the JWKS. */
async function publicPemOf(t: TestApp, kid: string): Promise<string> {
  const jwks = (await t.get('/.well-known/jwks.json')).body as { keys: (JWK & { kid: string })[] };
  const jwk = jwks.keys.find((k) => k.kid === kid);
  assert.ok(jwk, 'the key is published');
  return createPublicKey({ key: jwk as never, format: 'jwk' })
    .export({ format: 'pem', type: 'spki' })
    .toString();
}
