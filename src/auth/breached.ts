// Breached-password check through the k-anonymity range API of Have I Been Pwned (Pwned Passwords):
//   - SHA-1 of the UTF-8 password, upper-case hex; only its first 5 characters leave the process,
//     as GET {baseUrl}/range/{prefix} with `Add-Padding: true`;
//   - the answer is one `SUFFIX:COUNT` a line (CRLF or LF); the password is breached when its suffix is
//     listed with a count above 0 (padding lines carry count 0);
//   - it fails open: a network error, a timeout (2 s by default), a non-200 status or an unreadable
//     answer means "not breached" and is reported to `onError`; isBreached() never throws.
import { createHash } from 'node:crypto';
import type { ReadableStream } from 'node:stream/web';

export interface BreachedPasswordChecker {
  isBreached(password: string): Promise<boolean>;
}

export interface RangeApiBreachedCheckerOptions {
  /** Base URL of the range API, e.g. https://api.pwnedpasswords.com (config `passwords.hibpApiUrl`). */
  baseUrl: string;
  /** Deadline for the whole request, answer included. Default 2000 ms. */
  timeoutMs?: number;
  /** Told why a check could not be made (the app logs a warning); the check then answers false. */
  onError?: (reason: unknown) => void;
}

/** Generous for an answer of ~1,000 lines of 40 bytes; anything larger is not a range answer. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export class RangeApiBreachedChecker implements BreachedPasswordChecker {
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #onError: (reason: unknown) => void;

  constructor(options: RangeApiBreachedCheckerOptions) {
    if (!/^https?:\/\//.test(options.baseUrl) || !URL.canParse(options.baseUrl)) {
      throw new TypeError(`the range API base URL must be an http(s) URL (got ${options.baseUrl})`);
    }
    const timeoutMs = options.timeoutMs ?? 2000;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
      throw new RangeError(`timeoutMs must be a positive integer (got ${String(timeoutMs)})`);
    }
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#timeoutMs = timeoutMs;
    this.#onError = options.onError ?? (() => {});
  }

  async isBreached(password: string): Promise<boolean> {
    const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const prefix = digest.slice(0, 5);
    const suffix = digest.slice(5);
    try {
      const response = await fetch(`${this.#baseUrl}/range/${prefix}`, {
        headers: { 'Add-Padding': 'true', Accept: 'text/plain', 'User-Agent': 'hellojohn' },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`the breached-password range API answered HTTP ${response.status}`);
      }
      return countFor(await readAnswer(response), suffix) > 0;
    } catch (error) {
      this.#report(error);
      return false;
    }
  }

  #report(reason: unknown): void {
    try {
      this.#onError(reason);
    } catch {
      // a failing logger must not turn the check into a thrown error
    }
  }
}

async function readAnswer(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => {});
      throw new Error(`the breached-password range API answer exceeds ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The count listed for `suffix` (upper-case hex), 0 when it is not listed. */
function countFor(answer: string, suffix: string): number {
  for (const line of answer.split('\n')) {
    const separator = line.indexOf(':');
    if (separator === -1 || line.slice(0, separator).trim().toUpperCase() !== suffix) continue;
    const count = line.slice(separator + 1).trim();
    return /^\d+$/.test(count) ? Number(count) : 0;
  }
  return 0;
}
