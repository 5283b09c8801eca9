import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { hash as argon2Hash } from '@node-rs/argon2';
import type { Algorithm } from '@node-rs/argon2';
import { RangeApiBreachedChecker } from '../../src/auth/breached.js';
import { COMMON_PASSWORDS_FILE, isCommonPassword } from '../../src/auth/common-passwords.js';
import {
  PasswordPolicyChecker,
  WeakPasswordError,
  defaultPolicy,
  policyFor,
  publicPolicy,
} from '../../src/auth/password-policy.js';
import type { PasswordPolicy, PasswordViolationCode } from '../../src/auth/password-policy.js';
import { loadConfig } from '../../src/config.js';
import type { Config } from '../../src/config.js';
import { PasswordHasher } from '../../src/crypto/passwords.js';
import { HelloJohnError } from '../../src/errors.js';

// Small Argon2 parameters keep the suite fast; one test uses the OWASP defaults of the config.
const SMALL = { memoryKiB: 1024, iterations: 1, parallelism: 1 };
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;
const ARGON2I: Algorithm.Argon2i = 1;

const PASSWORDS: Config['passwords'] = {
  minLength: 8,
  maxLength: 128,
  argon2: SMALL,
  hashThreads: 2,
  breachedCheck: false,
  hibpApiUrl: 'http://127.0.0.1:9',
};
const BASE = defaultPolicy(PASSWORDS);
const policy = (overrides: Partial<PasswordPolicy> = {}): PasswordPolicy => ({ ...BASE, ...overrides });
const checker = new PasswordPolicyChecker({});
const codes = async (password: string, rules: PasswordPolicy, context?: { email?: string }) =>
  (await checker.check(password, rules, context)).map((violation) => violation.code);
const STRONG = 'vT9#qLm2!xZr';

describe('password hashing (Argon2id)', () => {
  test('hash → verify round trip; the PHC string carries the configured m, t and p', async () => {
    const hasher = new PasswordHasher({ memoryKiB: 2048, iterations: 3, parallelism: 2 }, 2);
    const phc = await hasher.hash('correct horse battery staple');
    const match = PHC.exec(phc);
    assert.ok(match, `not an argon2id v19 PHC string: ${phc}`);
    assert.deepEqual(match.slice(1).map(Number), [2048, 3, 2]);
    assert.equal(await hasher.verify(phc, 'correct horse battery staple'), true);
    assert.equal(await hasher.verify(phc, 'correct horse battery stapler'), false);
    assert.equal(await hasher.verify(phc, 'Correct horse battery staple'), false);
    assert.notEqual(await hasher.hash('correct horse battery staple'), phc, 'every hash has a fresh salt');
  });

  test('OWASP defaults from the config: m=19456, t=2, p=1, and no rehash needed', async () => {
    const { argon2 } = loadConfig({}).passwords;
    assert.deepEqual(argon2, { memoryKiB: 19_456, iterations: 2, parallelism: 1 });
    const hasher = new PasswordHasher(argon2, 2);
    const phc = await hasher.hash('pässwörd 🔑');
    assert.deepEqual(PHC.exec(phc)?.slice(1).map(Number), [19_456, 2, 1]);
    assert.equal(await hasher.verify(phc, 'pässwörd 🔑'), true);
    assert.equal(hasher.needsRehash(phc), false);
    assert.equal(hasher.needsRehash(await new PasswordHasher(SMALL, 2).hash('x')), true, 'm=1024 vs 19456');
  });

  test('needsRehash: true when m, t, p or the algorithm differ from the configured ones', async () => {
    const hasher = new PasswordHasher(SMALL, 2);
    const phc = await hasher.hash('secret');
    assert.equal(hasher.needsRehash(phc), false);
    assert.equal(new PasswordHasher({ ...SMALL, memoryKiB: 2048 }, 2).needsRehash(phc), true, 'm');
    assert.equal(new PasswordHasher({ ...SMALL, iterations: 2 }, 2).needsRehash(phc), true, 't');
    assert.equal(new PasswordHasher({ ...SMALL, parallelism: 2 }, 2).needsRehash(phc), true, 'p');

    const argon2i = await argon2Hash('secret', {
      algorithm: ARGON2I,
      memoryCost: SMALL.memoryKiB,
      timeCost: SMALL.iterations,
      parallelism: SMALL.parallelism,
    });
    assert.match(argon2i, /^\$argon2i\$v=19\$m=1024,t=1,p=1\$/);
    assert.equal(hasher.needsRehash(argon2i), true, 'argon2i with the same m, t, p');
    assert.equal(await hasher.verify(argon2i, 'secret'), true, 'an older Argon2 variant still verifies');

    for (const foreign of ['', 'plaintext', '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy']) {
      assert.equal(hasher.needsRehash(foreign), true, JSON.stringify(foreign));
    }
  });

  test('verify answers false, without throwing, for malformed and foreign hashes', async () => {
    const hasher = new PasswordHasher(SMALL, 2);
    const phc = await hasher.hash('secret');
    const hashPart = phc.slice(phc.lastIndexOf('$') + 1);
    const otherHash = hashPart.startsWith('A') ? `B${hashPart.slice(1)}` : `A${hashPart.slice(1)}`;
    const malformed = [
      '',
      'secret',
      '$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', // bcrypt
      '$2y$12$QjSH496pcT5CEbzjD/vtVeH03tfHKFy36d4J0Ltp3lRtee9HDxY3K', // bcrypt (PHP)
      '$pbkdf2-sha256$29000$N2ZMaa1VKqXUmhMiJISQUg$wx1D0Lge6PZLXxn2hVJkWxJcRa4lsSsgnP/w02eHz9w',
      '$argon2id$v=19$m=1024,t=1,p=1$',
      '$argon2id$v=19$m=abc,t=1,p=1$c29tZXNhbHQ$aGFzaA',
      phc.slice(0, -10), // truncated
      `${phc.slice(0, phc.lastIndexOf('$') + 1)}${otherHash}`, // same salt, another hash
    ];
    for (const bad of malformed) {
      assert.equal(await hasher.verify(bad, 'secret'), false, JSON.stringify(bad));
    }
  });

  test('verifyDummy answers false and costs about what a real (failed) verify costs', async () => {
    const hasher = new PasswordHasher({ memoryKiB: 8192, iterations: 2, parallelism: 1 }, 2);
    const phc = await hasher.hash('the real password');
    assert.equal(await hasher.verifyDummy('the real password'), false); // also computes the cached hash
    // CPU time of the whole process (Argon2 runs on its thread pool), not wall time: a loaded machine
    // stretches wall time unevenly, the work done stays the same.
    const time = async (run: () => Promise<unknown>) => {
      const start = process.cpuUsage();
      await run();
      const spent = process.cpuUsage(start);
      return spent.user + spent.system;
    };
    const real: number[] = [];
    const dummy: number[] = [];
    for (let round = 0; round < 7; round++) {
      real.push(await time(() => hasher.verify(phc, 'a wrong password')));
      dummy.push(await time(() => hasher.verifyDummy('a wrong password')));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    const ratio = median(dummy) / median(real);
    assert.ok(ratio > 0.5 && ratio < 2, `dummy/real verify time ratio ${ratio.toFixed(2)}`);
  });

  test('the constructor refuses parameters Argon2 cannot use', () => {
    assert.throws(() => new PasswordHasher({ ...SMALL, iterations: 0 }, 2), RangeError);
    assert.throws(() => new PasswordHasher({ ...SMALL, memoryKiB: 1.5 }, 2), RangeError);
    assert.throws(() => new PasswordHasher({ memoryKiB: 8, iterations: 1, parallelism: 2 }, 2), RangeError);
  });
});

describe('password policy', () => {
  test('defaults: length from the config, character classes off, common passwords refused', () => {
    assert.deepEqual(BASE, {
      minLength: 8,
      maxLength: 128,
      requireUppercase: false,
      requireLowercase: false,
      requireDigit: false,
      requireSymbol: false,
      rejectCommon: true,
      checkBreached: false,
    });
    assert.equal(defaultPolicy({ ...PASSWORDS, breachedCheck: true }).checkBreached, true);
  });

  test('a strong password passes the default policy', async () => {
    assert.deepEqual(await checker.check(STRONG, BASE, { email: 'alice@example.com' }), []);
  });

  test('too_short and too_long', async () => {
    const rules = policy({ minLength: 8, maxLength: 16 });
    assert.deepEqual(await codes('Zq7!kLm', rules), ['too_short']);
    assert.deepEqual(await codes('Zq7!kLm9', rules), []);
    assert.deepEqual(await codes('Zq7!kLm9xWv3#pQr', rules), []);
    assert.deepEqual(await codes('Zq7!kLm9xWv3#pQrs', rules), ['too_long']);
  });

  test('length counts code points after NFC, not UTF-16 units', async () => {
    const min8 = policy({ minLength: 8 });
    assert.equal('😀'.repeat(8).length, 16);
    assert.deepEqual(await codes('😀'.repeat(8), min8), [], '8 emoji are 8 characters');
    assert.deepEqual(await codes('😀'.repeat(7), min8), ['too_short'], '7 emoji are 7 characters');
    const max8 = policy({ minLength: 1, maxLength: 8 });
    assert.deepEqual(await codes('😀'.repeat(8), max8), []);
    assert.deepEqual(await codes('😀'.repeat(9), max8), ['too_long']);
    // "é" typed as e + U+0301 is one character once composed.
    assert.deepEqual(await codes('e\u0301'.repeat(8), max8), []);
    assert.deepEqual(await codes('e\u0301'.repeat(9), max8), ['too_long']);
  });

  test('missing_uppercase, missing_lowercase, missing_digit, missing_symbol only when required', async () => {
    const all = policy({
      requireUppercase: true,
      requireLowercase: true,
      requireDigit: true,
      requireSymbol: true,
    });
    assert.deepEqual(await codes('Abcdefg1!', all), []);
    assert.deepEqual(await codes('abcdefg1!', all), ['missing_uppercase']);
    assert.deepEqual(await codes('ABCDEFG1!', all), ['missing_lowercase']);
    assert.deepEqual(await codes('Abcdefgh!', all), ['missing_digit']);
    assert.deepEqual(await codes('Abcdefgh1', all), ['missing_symbol']);
    assert.deepEqual(await codes('zzzzzzzz', all), ['missing_uppercase', 'missing_digit', 'missing_symbol']);
    assert.deepEqual(await codes('Ünïcödé٣ ü', all), [], 'Unicode letters, an Arabic-Indic digit, a space');
    assert.deepEqual(await codes('zzzzzzzz', BASE), [], 'no class is required by default');
  });

  test('common passwords are refused case-insensitively; rejectCommon=false allows them', async () => {
    const anyLength = policy({ minLength: 1 });
    for (const common of ['password', '123456', 'Password', 'PASSWORD', 'qwerty', 'iloveyou']) {
      assert.equal(isCommonPassword(common), true, common);
      assert.deepEqual(await codes(common, anyLength), ['common'], common);
    }
    assert.equal(isCommonPassword(STRONG), false);
    assert.deepEqual(await codes(STRONG, anyLength), []);
    assert.deepEqual(await codes('password', policy({ minLength: 1, rejectCommon: false })), []);
  });

  test('the shipped list: 10,000 distinct lower-case passwords, most common first', () => {
    const list = readFileSync(COMMON_PASSWORDS_FILE, 'utf8').split('\n');
    assert.equal(list.pop(), '', 'one password a line, each ending with a line break');
    assert.equal(list.length, 10_000);
    assert.equal(new Set(list).size, 10_000);
    assert.deepEqual(list.slice(0, 4), ['123456', 'password', '12345678', 'qwerty']);
    for (const entry of list) {
      assert.ok(entry !== '' && entry === entry.toLowerCase(), JSON.stringify(entry));
    }
  });

  test('the npm package ships the list, and the compiled code finds it', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const pack = ['pack', '--dry-run', '--json', '--ignore-scripts'];
    const [packed] = JSON.parse(execFileSync('npm', pack, { cwd: root, encoding: 'utf8' })) as [
      { files: { path: string }[] },
    ];
    assert.ok(packed.files.some((file) => file.path === 'assets/common-passwords.txt'));
    // dist/ is what `npm test` has just built, laid out as in the package.
    const check =
      "import('./dist/auth/common-passwords.js').then((m) => console.log(m.isCommonPassword('Qwerty')))";
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', check], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(output.trim(), 'true');
  });

  test('contains_email: the local part (4+ characters) of the email, in any case', async () => {
    const email = 'john.smith@example.com';
    assert.deepEqual(await codes('xxJOHN.SMITHyy', BASE, { email }), ['contains_email']);
    assert.deepEqual(await codes('john.smith', BASE, { email }), ['contains_email']);
    assert.deepEqual(await codes('john-smith-77', BASE, { email }), []);
    assert.deepEqual(await codes('bobcat-horse-battery', BASE, { email: 'bob@example.com' }), [], '3 chars');
    assert.deepEqual(await codes('a-bobby-horse-battery', BASE, { email: 'bobby@example.com' }), [
      'contains_email',
    ]);
    assert.deepEqual(await codes('xxJOHN.SMITHyy', BASE), [], 'no email, no rule');
  });

  test('every broken rule is reported; WeakPasswordError carries them', async () => {
    const violations = await checker.check('zorb', policy({ requireDigit: true }), { email: 'zorb@x.org' });
    assert.deepEqual(
      violations.map((violation) => violation.code),
      ['too_short', 'missing_digit', 'contains_email'] satisfies PasswordViolationCode[],
    );
    const error = new WeakPasswordError(violations);
    assert.ok(error instanceof HelloJohnError);
    assert.equal(error.code, 'weak_password');
    assert.equal(error.name, 'WeakPasswordError');
    assert.deepEqual(error.violations, violations);
    assert.equal(error.description, violations.map((violation) => violation.message).join(' '));
    assert.match(error.description, /at least 8 characters.*digit.*email/);
  });

  test('policyFor applies a tenant password_policy and the public JSON mirrors it', () => {
    const settings = {
      theme: 'dark',
      password_policy: {
        min_length: 12,
        max_length: 64,
        require_uppercase: true,
        require_lowercase: true,
        require_digit: true,
        require_symbol: true,
        reject_common: false,
        check_breached: true,
        unknown_key: 'ignored',
      },
    };
    const tenant = policyFor(settings, BASE);
    assert.deepEqual(tenant, {
      minLength: 12,
      maxLength: 64,
      requireUppercase: true,
      requireLowercase: true,
      requireDigit: true,
      requireSymbol: true,
      rejectCommon: false,
      checkBreached: true,
    });
    const { unknown_key: _, ...expected } = settings.password_policy;
    assert.deepEqual(publicPolicy(tenant), expected);
    assert.deepEqual(publicPolicy(BASE), {
      min_length: 8,
      max_length: 128,
      require_uppercase: false,
      require_lowercase: false,
      require_digit: false,
      require_symbol: false,
      reject_common: true,
      check_breached: false,
    });
    assert.equal(policyFor({ password_policy: { max_length: 1024 } }, BASE).maxLength, 1024);
    assert.equal(policyFor({ password_policy: { min_length: 1 } }, BASE).minLength, 1);
    assert.equal(BASE.minLength, 8, 'the defaults are not modified');
  });

  test('policyFor ignores garbage and keeps the defaults', () => {
    for (const settings of [
      undefined,
      null,
      'x',
      42,
      [],
      {},
      { password_policy: null },
      { password_policy: 'x' },
    ]) {
      assert.deepEqual(policyFor(settings, BASE), BASE, JSON.stringify(settings));
    }
    assert.deepEqual(policyFor({ password_policy: [12] }, BASE), BASE);
    const ignored: Record<string, unknown>[] = [
      { min_length: '12' },
      { min_length: 12.5 },
      { min_length: 0 },
      { min_length: -3 },
      { min_length: Number.NaN },
      { max_length: 1025 },
      { max_length: '64' },
      { min_length: 50, max_length: 20 }, // min > max
      { min_length: 200 }, // above the default max of 128
      { max_length: 4 }, // below the default min of 8
      { require_uppercase: 'true' },
      { require_digit: 1 },
      { reject_common: 0 },
      { check_breached: 'yes' },
      { require_symbol: null },
    ];
    for (const password_policy of ignored) {
      assert.deepEqual(policyFor({ password_policy }, BASE), BASE, JSON.stringify(password_policy));
    }
    assert.deepEqual(policyFor({ password_policy: { min_length: '12', require_digit: true } }, BASE), {
      ...BASE,
      requireDigit: true,
    });
  });
});

// A local stand-in for the Pwned Passwords range API, on 127.0.0.1 only.
interface Recorded {
  url: string;
  headers: IncomingHttpHeaders;
}
const servers: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function startServer(respond: (request: IncomingMessage, response: ServerResponse) => void) {
  const requests: Recorded[] = [];
  const server = createServer((request, response) => {
    requests.push({ url: request.url ?? '', headers: request.headers });
    respond(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle = {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

const sha1 = (value: string) => createHash('sha1').update(value, 'utf8').digest('hex').toUpperCase();
const padding = (count: number) =>
  Array.from({ length: count }, () => `${randomBytes(18).toString('hex').slice(0, 35).toUpperCase()}:0`);

const BREACHED = 'Tr0ub4dor&3-horse';
const PADDED = 'only-in-padding-9!x';
const CLEAN = 'never-breached-Qw7$';
/** Answers every prefix like the real API: the known suffixes under that prefix plus padding lines. */
function rangeApi(eol: string, known: Record<string, number>) {
  return (request: IncomingMessage, response: ServerResponse) => {
    const prefix = /^\/range\/([0-9A-F]{5})$/.exec(request.url ?? '')?.[1];
    if (!prefix) {
      response.writeHead(400).end();
      return;
    }
    const lines = padding(20);
    for (const [password, count] of Object.entries(known)) {
      const digest = sha1(password);
      if (digest.startsWith(prefix)) lines.splice(7, 0, `${digest.slice(5)}:${count}`);
    }
    response.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join(eol) + eol);
  };
}

describe('breached passwords (range API, k-anonymity)', () => {
  test('only the 5-character SHA-1 prefix leaves the process, with Add-Padding: true', async () => {
    const server = await startServer(rangeApi('\r\n', { [BREACHED]: 42 }));
    const breached = new RangeApiBreachedChecker({ baseUrl: `${server.baseUrl}/` });
    assert.equal(await breached.isBreached(BREACHED), true);
    assert.equal(server.requests.length, 1);
    const [{ url, headers }] = server.requests as [Recorded];
    const digest = sha1(BREACHED);
    assert.equal(url, `/range/${digest.slice(0, 5)}`);
    assert.equal(headers['add-padding'], 'true');
    const sent = JSON.stringify(server.requests);
    assert.ok(!sent.includes(digest.slice(5, 15)), 'no part of the suffix is sent');
    assert.ok(!sent.includes(BREACHED), 'the password is not sent');
  });

  test('breached → a "breached" violation; not breached → none (LF and CRLF answers)', async () => {
    for (const eol of ['\n', '\r\n']) {
      const server = await startServer(rangeApi(eol, { [BREACHED]: 3 }));
      const errors: unknown[] = [];
      const policyChecker = new PasswordPolicyChecker({
        breached: new RangeApiBreachedChecker({ baseUrl: server.baseUrl, onError: (e) => errors.push(e) }),
      });
      const rules = policy({ checkBreached: true });
      assert.deepEqual(
        (await policyChecker.check(BREACHED, rules)).map((violation) => violation.code),
        ['breached'],
        JSON.stringify(eol),
      );
      assert.deepEqual(await policyChecker.check(CLEAN, rules), []);
      assert.deepEqual(errors, []);
      assert.equal(server.requests.length, 2);
    }
  });

  test('a suffix listed only as padding (count 0) is not breached', async () => {
    const server = await startServer(rangeApi('\r\n', { [PADDED]: 0, [BREACHED]: 1 }));
    const breached = new RangeApiBreachedChecker({ baseUrl: server.baseUrl });
    assert.equal(await breached.isBreached(PADDED), false);
    assert.equal(await breached.isBreached(BREACHED), true);
  });

  test('the breached check runs only when every other rule passed and the policy asks for it', async () => {
    const server = await startServer(rangeApi('\n', { [BREACHED]: 5, 'Zq7!': 5 }));
    const policyChecker = new PasswordPolicyChecker({
      breached: new RangeApiBreachedChecker({ baseUrl: server.baseUrl }),
    });
    assert.deepEqual(await policyChecker.check(BREACHED, policy({ checkBreached: false })), []);
    assert.deepEqual(
      (await policyChecker.check('Zq7!', policy({ checkBreached: true }))).map((violation) => violation.code),
      ['too_short'],
    );
    assert.equal(server.requests.length, 0);
  });

  test('HTTP 500 fails open: not breached, onError told', async () => {
    const server = await startServer((_request, response) => response.writeHead(500).end('oops'));
    const errors: unknown[] = [];
    const breached = new RangeApiBreachedChecker({ baseUrl: server.baseUrl, onError: (e) => errors.push(e) });
    const policyChecker = new PasswordPolicyChecker({ breached });
    assert.deepEqual(await policyChecker.check(BREACHED, policy({ checkBreached: true })), []);
    assert.equal(server.requests.length, 1);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /500/);
  });

  test('a server that hangs past the timeout fails open: not breached, onError told', async () => {
    const server = await startServer(() => {
      // never answers
    });
    const errors: unknown[] = [];
    const breached = new RangeApiBreachedChecker({
      baseUrl: server.baseUrl,
      timeoutMs: 200,
      onError: (e) => errors.push(e),
    });
    const start = Date.now();
    assert.equal(await breached.isBreached(BREACHED), false);
    const elapsed = Date.now() - start;
    assert.ok(elapsed >= 150 && elapsed < 1500, `gave up after ${elapsed} ms`);
    assert.equal(server.requests.length, 1);
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as Error).name, 'TimeoutError');
  });

  test('a server that stops mid-answer past the timeout fails open too', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write(`${padding(3).join('\r\n')}\r\n`); // then never ends
    });
    const errors: unknown[] = [];
    const breached = new RangeApiBreachedChecker({
      baseUrl: server.baseUrl,
      timeoutMs: 200,
      onError: (e) => errors.push(e),
    });
    assert.equal(await breached.isBreached(BREACHED), false);
    assert.equal(errors.length, 1);
  });

  test('a refused connection fails open, and a throwing onError does not escape', async () => {
    const server = await startServer(() => {});
    const baseUrl = server.baseUrl;
    await server.close(); // nothing listens on that port any more
    const errors: unknown[] = [];
    assert.equal(
      await new RangeApiBreachedChecker({ baseUrl, onError: (e) => errors.push(e) }).isBreached(BREACHED),
      false,
    );
    assert.equal(errors.length, 1);
    const throwing = new RangeApiBreachedChecker({
      baseUrl,
      onError: () => {
        throw new Error('logger down');
      },
    });
    assert.equal(await throwing.isBreached(BREACHED), false);
  });
});
