// Sending email. Three mailers behind one interface:
//   SmtpMailer     → real delivery through the configured SMTP server (nodemailer)
//   LogMailer      → development without SMTP: the whole message goes to the log, so the link can be
//                    clicked. Only with config.devMailLog (APP_ENV=dev set, or APP_ENV unset on the embedded
//                    database): a deployment that merely forgot APP_ENV must not log live reset links.
//   DisabledMailer → anywhere else without SMTP: the message is dropped; the log names only its kind
// Services never call a mailer directly from a request: they enqueue into the MailOutbox (./outbox.ts).
// nodemailer (about 4 MB of heap) is imported at the first message an SmtpMailer sends, not at startup.
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

export interface EmailMessage {
  /** One bare address (`user@example.com`), never a list. */
  to: string;
  subject: string;
  text: string;
  html: string;
  /** What the message is for, e.g. `verify_email`, `reset_password`: the only field that is always logged. */
  kind: string;
  /**
   * The tenant the message is sent for, as read when it was made: its own SMTP server (settings.smtp) sends
   * it when it has one (src/mail/tenant-mailers.ts). Null: the installation's server.
   */
  tenant: { id: string; settings: Record<string, unknown> } | null;
}

export interface Mailer {
  send(message: EmailMessage): Promise<void>;
}

export type SmtpConfig = NonNullable<Config['smtp']>;

const SMTP_TIMEOUT_MS = 10_000;

// A single address, nothing a parser could read as a list, a display name or a header break.
export const SINGLE_ADDRESS = /^[^\s@,;<>"()[\]\\]+@[^\s@,;<>"()[\]\\]+$/;

export class SmtpMailer implements Mailer {
  readonly #smtp: SmtpConfig;
  readonly #timeoutMs: number;
  #transport: Promise<Transporter> | undefined;

  constructor(smtp: SmtpConfig, options: { timeoutMs?: number } = {}) {
    this.#smtp = smtp;
    this.#timeoutMs = options.timeoutMs ?? SMTP_TIMEOUT_MS;
  }

  #connect(): Promise<Transporter> {
    const smtp = this.#smtp;
    const timeout = this.#timeoutMs;
    // A failed import is not kept: the next message tries again.
    this.#transport ??= import('nodemailer').then(
      ({ default: nodemailer }) =>
        nodemailer.createTransport({
          host: smtp.host,
          port: smtp.port,
          secure: smtp.secure,
          ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
          connectionTimeout: timeout,
          greetingTimeout: timeout,
          socketTimeout: timeout,
        }),
      (error: unknown) => {
        this.#transport = undefined;
        throw error;
      },
    );
    return this.#transport;
  }

  async send(message: EmailMessage): Promise<void> {
    // The error names neither the address nor the content: it ends up in logs.
    if (!SINGLE_ADDRESS.test(message.to)) throw new Error('invalid recipient address');
    const transport = await this.#connect();
    await transport.sendMail({
      from: this.#smtp.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  }

  /** Closes idle connections (none are kept without pooling; harmless to call). */
  close(): void {
    void this.#transport?.then(
      (transport) => transport.close(),
      () => undefined,
    );
  }
}

const FIRST_LINK = /https?:\/\/\S+/;

/** Development without SMTP: the message is logged in full so a developer can follow the link. */
export class LogMailer implements Mailer {
  constructor(private readonly logger: Logger) {}

  async send(message: EmailMessage): Promise<void> {
    // The link also goes at the end of the message line, whole, so it can be clicked in a terminal.
    const link = FIRST_LINK.exec(message.text)?.[0];
    this.logger.info(
      {
        dev_email: true,
        kind: message.kind,
        to: message.to,
        subject: message.subject,
        link,
        text: message.text,
      },
      `email not sent (development, no SMTP configured): ${message.kind} to ${message.to}${link ? `: ${link}` : ''}`,
    );
  }
}

/** No SMTP outside development: the message is dropped; the log names only its kind. */
export class DisabledMailer implements Mailer {
  constructor(private readonly logger: Logger) {
    logger.warn(
      'SMTP is not configured (SMTP_HOST): verification and password-reset emails cannot be sent. ' +
        'Configure SMTP_*; on a development machine, APP_ENV=dev writes the emails to the log instead',
    );
  }

  async send(message: EmailMessage): Promise<void> {
    this.logger.warn({ kind: message.kind }, 'email not sent: SMTP is not configured');
  }
}

export function createMailer(config: Pick<Config, 'devMailLog' | 'smtp'>, logger: Logger): Mailer {
  if (config.smtp) return new SmtpMailer(config.smtp);
  return config.devMailLog ? new LogMailer(logger) : new DisabledMailer(logger);
}
