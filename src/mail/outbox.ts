// Background delivery, so that sending mail never blocks an HTTP response nor shows in its timing
// (a "forgot password" answer must take the same time whether or not a message was sent).
// `enqueue` returns at once (`enqueueFrom` too, preparing the message after the answer); a small number of
// workers deliver, retrying with backoff; `drain` waits.
// Logs carry the kind, the attempt and the error, never the recipient's content (body, link, token).
import type { Logger } from 'pino';
import type { EmailMessage, Mailer } from './mailer.js';

export interface MailOutboxOptions {
  /** Delay before each retry; its length + 1 is the number of attempts. Default: 1 s, 4 s (3 attempts). */
  retryDelaysMs?: number[];
  /** Messages held at once (queued, being sent or waiting for a retry); beyond it new ones are dropped. */
  maxQueue?: number;
  /** Messages sent at the same time. */
  concurrency?: number;
}

interface Job {
  message: EmailMessage;
  attempt: number;
  settled: Promise<void>;
  settle: () => void;
}

export class MailOutbox {
  readonly #mailer: Mailer;
  readonly #logger: Logger;
  readonly #retryDelaysMs: number[];
  readonly #maxQueue: number;
  readonly #concurrency: number;
  /** Jobs ready to be sent, oldest first. */
  readonly #ready: Job[] = [];
  /** Every job not yet delivered or given up (ready, sending or waiting for a retry). */
  readonly #unsettled = new Set<Job>();
  /** Messages still being prepared (enqueueFrom). */
  readonly #preparing = new Set<Promise<void>>();
  #sending = 0;
  #pumpScheduled = false;

  constructor(mailer: Mailer, logger: Logger, options: MailOutboxOptions = {}) {
    this.#mailer = mailer;
    this.#logger = logger;
    this.#retryDelaysMs = options.retryDelaysMs ?? [1000, 4000];
    this.#maxQueue = options.maxQueue ?? 10_000;
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
  }

  /** Messages not yet delivered or given up, those still being prepared included. */
  get size(): number {
    return this.#unsettled.size + this.#preparing.size;
  }

  /** Queues a message and returns at once; never throws and never waits for the network. */
  enqueue(message: EmailMessage): void {
    if (this.#full(message.kind)) return;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const job: Job = { message, attempt: 0, settled, settle };
    this.#unsettled.add(job);
    this.#ready.push(job);
    this.#schedulePump();
  }

  /**
   * Queues a message that is still to be prepared, and returns at once. For work that depends on whether
   * an account exists (looking it up, storing a token, auditing): done here, after the answer, it cannot
   * show in the answer's timing. `prepare` resolving to null sends nothing; its failure is logged.
   */
  enqueueFrom(kind: string, prepare: () => Promise<EmailMessage | null>): void {
    if (this.#full(kind)) return;
    const preparing: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(prepare)
      .then(
        (message) => {
          if (message) this.enqueue(message);
        },
        (error: unknown) => this.#logger.error({ kind, ...describe(error) }, 'email not prepared'),
      )
      .finally(() => this.#preparing.delete(preparing));
    this.#preparing.add(preparing);
  }

  /** True (and logged, with the kind only) when the outbox holds as many messages as it may. */
  #full(kind: string): boolean {
    if (this.size < this.#maxQueue) return false;
    this.#logger.error({ kind, max_queue: this.#maxQueue }, 'email dropped: outbox is full');
    return true;
  }

  /** Resolves once every message queued before the call is prepared, then delivered or given up. */
  async drain(): Promise<void> {
    await Promise.all([...this.#preparing]);
    await Promise.all([...this.#unsettled].map((job) => job.settled));
  }

  // Sending starts on a later turn of the event loop, never inside the caller's synchronous code.
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#sending < this.#concurrency) {
      const job = this.#ready.shift();
      if (!job) return;
      this.#sending++;
      void this.#attempt(job).finally(() => {
        this.#sending--;
        this.#pump();
      });
    }
  }

  async #attempt(job: Job): Promise<void> {
    job.attempt++;
    const { kind } = job.message;
    try {
      await this.#mailer.send(job.message);
    } catch (error) {
      const failure = describe(error);
      const delay = this.#retryDelaysMs[job.attempt - 1];
      if (delay === undefined) {
        this.#logger.error({ kind, attempts: job.attempt, ...failure }, 'email not delivered: giving up');
        this.#finish(job);
        return;
      }
      this.#logger.warn(
        { kind, attempt: job.attempt, retry_in_ms: delay, ...failure },
        'email delivery failed, will retry',
      );
      setTimeout(() => {
        this.#ready.push(job);
        this.#pump();
      }, delay);
      return;
    }
    this.#logger.debug({ kind, attempts: job.attempt }, 'email sent');
    this.#finish(job);
  }

  #finish(job: Job): void {
    this.#unsettled.delete(job);
    job.settle();
  }
}

/** What a failure log line may say about an error: its message and SMTP codes, nothing of the message. */
function describe(error: unknown): { error: string; code?: string; response_code?: number } {
  if (!(error instanceof Error)) return { error: String(error) };
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  return {
    error: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof responseCode === 'number' ? { response_code: responseCode } : {}),
  };
}
