// "Send test mail": one short message through the tenant's own SMTP server (settings.smtp), sent now and
// not through the outbox, so the operator sees the server's answer. A fresh transport each time: the
// setting just saved is the one tried. Limited per tenant, since each call makes the server connect out.
import { escapeHtml } from '../mail/templates.js';
import { SINGLE_ADDRESS, SmtpMailer } from '../mail/mailer.js';
import { HelloJohnError } from '../errors.js';
import { RateLimitedError, type RateLimitStore } from '../security/rate-limit.js';
import { tenantSmtp } from '../tenants/smtp.js';
import type { Tenant } from '../tenants/tenants.js';

/** Test mails per tenant per window. */
export const SMTP_TESTS_PER_WINDOW = 5;
const WINDOW_SECONDS = 60;
const REASON_MAX = 300;

export class SmtpTest {
  readonly #limiter;

  constructor(
    store: RateLimitStore,
    private readonly secretboxMasterKey: Buffer,
    private readonly timeoutMs = 10_000,
  ) {
    this.#limiter = store.limiter({
      name: 'admin:smtp-test',
      points: SMTP_TESTS_PER_WINDOW,
      durationSeconds: WINDOW_SECONDS,
    });
  }

  async send(tenant: Tenant, to: string): Promise<{ status: 'sent'; to: string }> {
    const address = to.trim();
    if (address.length > 320 || !SINGLE_ADDRESS.test(address))
      throw new HelloJohnError('invalid_request', 'to must be one email address.');
    const smtp = tenantSmtp(tenant, this.secretboxMasterKey);
    if (!smtp)
      throw new HelloJohnError(
        'conflict',
        'This tenant has no SMTP server of its own (settings.smtp): its mail goes through the installation’s.',
      );
    const taken = await this.#limiter.consume(tenant.id);
    if (!taken.allowed) throw new RateLimitedError(taken.retryAfterSeconds);
    const name = tenant.name;
    const mailer = new SmtpMailer(smtp, { timeoutMs: this.timeoutMs });
    try {
      await mailer.send({
        to: address,
        subject: `Test mail from ${name}`,
        text: `This is a test mail from ${name}: its SMTP server (${smtp.host}:${smtp.port}) delivers.`,
        html: `<p>This is a test mail from ${escapeHtml(name)}: its SMTP server (${escapeHtml(smtp.host)}:${smtp.port}) delivers.</p>`,
        kind: 'smtp_test',
        tenant: null,
      });
    } catch (error) {
      throw new HelloJohnError(
        'bad_gateway',
        `The SMTP server refused or could not be reached: ${reasonOf(error, [smtp.user, smtp.password])}`,
      );
    } finally {
      mailer.close();
    }
    return { status: 'sent', to: address };
  }
}

/** The server's own answer (or the connection's failure) on one line, without the credentials in it. */
function reasonOf(error: unknown, secrets: readonly (string | undefined)[]): string {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    response?: unknown;
    code?: unknown;
    message?: unknown;
  };
  let reason =
    typeof e.response === 'string' && e.response
      ? e.response
      : `${typeof e.code === 'string' ? `${e.code}: ` : ''}${typeof e.message === 'string' ? e.message : 'unknown error'}`;
  for (const secret of secrets) if (secret && secret.length >= 3) reason = reason.split(secret).join('***');
  // eslint-disable-next-line no-control-regex
  reason = reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return reason.length > REASON_MAX ? `${reason.slice(0, REASON_MAX)}…` : reason;
}
