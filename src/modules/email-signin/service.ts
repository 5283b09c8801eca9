// Sign-in by email, as a first factor: a link (magic link) or a code mailed to the account's address.
//
// Sending never tells whether an account exists: the rate limits (per address and per email, the same for
// every email) run before the answer; the lookup, the stored secret, the audit event and the mail are
// prepared after it, in the outbox, so not even the answer's timing depends on the account. Unknown emails
// get no mail: sign-in by email does not create accounts (registration has its own rules).
//
// Links come in two kinds. A link asked for on the hosted pages signs in the browser that opens it and
// continues the authorization in progress when it is that same browser. A link asked for by an app carries
// the S256 challenge of a verifier only that app instance keeps (RFC 7636): opened by the app itself (a
// universal link), it is exchanged with the verifier; opened on a page (another device), it shows a short
// code that the app exchanges, again with the verifier. The link alone never yields tokens.
import { saveTenantSetting } from '../../db/repositories/tenants.js';
import { createHash } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import type { RequestMeta } from '../../auth/public.js';
import { auditMeta } from '../../auth/public.js';
import { accountKeys, normalizedEmail } from '../../auth/email-address.js';
import type { EmailSignInConfig } from '../../config.js';
import type { SecretMac } from '../../crypto/one-time-codes.js';
import {
  CODE_ATTEMPTS,
  type CodeAttempt,
  type CodeCheck,
  checkCode,
  randomDigits,
  typedDigits,
} from '../../crypto/one-time-codes.js';
import { looksLikeOpaqueToken, newOpaqueToken } from '../../crypto/tokens.js';
import type { Database } from '../../db/database.js';
import { insertAuditEvent } from '../../db/repositories/audit.js';
import {
  findUserByEmail,
  findUserById,
  markEmailVerified,
  type UserRow,
} from '../../db/repositories/users.js';
import { HelloJohnError } from '../../errors.js';
import type { Authenticator } from '../../kernel/authentication.js';
import { invalidEmailLink } from '../../mail/email-links.js';
import type { MailOutbox } from '../../mail/outbox.js';
import type { HourlyCap } from '../../security/send-caps.js';
import type { RequestLimits } from '../../security/request-limits.js';
import type { Tenant, Tenants } from '../../tenants/tenants.js';
import { emailSignInEvents } from './events.js';
import {
  approveLink,
  consumeCode,
  consumeExchange,
  consumeLink,
  findLiveLink,
  storeSignIn,
  takeCodeAttempt,
  takeExchangeAttempts,
  type CodeAttemptRow,
  type ExchangeAttemptRow,
  type LiveLinkRow,
} from './repository.js';
import { EmailSignInSettings, emailSignInOf } from './settings.js';
import { signInCodeEmail, signInLinkEmail } from './views.js';

/** The ways to sign in by email, each switched on per tenant. */
export const EMAIL_METHODS = ['magic_link', 'email_otp'] as const;
export type EmailMethod = (typeof EMAIL_METHODS)[number];

/** The code a page shows for an app's link: typed into the app, which exchanges it with its verifier. */
export const EXCHANGE_CODE_LENGTH = 6;
/** How long that code works: long enough to pick up the other device, short enough not to linger. */
export const EXCHANGE_TTL_MS = 5 * 60_000;
/** No account has this id: an unknown address costs the same queries as a known one. */
const NO_USER = '00000000-0000-0000-0000-000000000000';

export interface EmailSignInDeps {
  db: Database;
  config: EmailSignInConfig;
  outbox: MailOutbox;
  limits: RequestLimits;
  tenants: Tenants;
  /** Links and codes sent per email address per hour, together. */
  cap: HourlyCap;
  macs: SecretMac;
}

/** Who is changing the settings, for the audit trail. */
export interface SettingsActor {
  adminId: string;
  meta: RequestMeta;
}

/** What a page shows of a live link before it is used. */
export type LinkState =
  { kind: 'app'; email: string } | { kind: 'browser'; email: string; interactionId: string | null };

/** The link's binding: an app's challenge, or the hosted pages' authorization in progress (if any). */
export type LinkBinding = { codeChallenge: string } | { interactionId: string | null };

export type MagicLinkInput =
  { token: string; codeVerifier?: string } | { code: string; codeVerifier: string };

export interface EmailCodeInput {
  email: string;
  code: string;
}

const wrongCode = () => new HelloJohnError('invalid_credentials', 'The code is not correct or has expired.');
const wrongExchange = () =>
  new HelloJohnError('invalid_grant', 'The code is not correct or has expired; ask for a new link.');

/** RFC 7636 S256: BASE64URL(SHA-256(ASCII(code_verifier))). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export class EmailSignIn {
  readonly magicLink: Authenticator<MagicLinkInput>;
  readonly emailCode: Authenticator<EmailCodeInput>;

  constructor(private readonly deps: EmailSignInDeps) {
    const offers = (method: EmailMethod) => (tenant: Tenant) => this.offers(tenant, method);
    this.magicLink = {
      method: 'magic_link',
      // RFC 8176 has no value for email; a single-use secret delivered out of band is a one-time password.
      amr: ['otp'],
      enabled: offers('magic_link'),
      verify: (tenant, input, meta) => this.verifyLink(tenant, input, meta),
    };
    this.emailCode = {
      method: 'email_otp',
      amr: ['otp'],
      enabled: offers('email_otp'),
      verify: (tenant, input, meta) => this.verifyCode(tenant, input, meta),
    };
  }

  offers(tenant: Tenant, method: EmailMethod): boolean {
    return emailSignInOf(tenant.settings)[method];
  }

  /** access_denied (403) when the tenant does not offer `method`: said as such, it reveals no account. */
  requireOffered(tenant: Tenant, method: EmailMethod): void {
    if (!this.offers(tenant, method))
      throw new HelloJohnError(
        'access_denied',
        method === 'magic_link'
          ? 'Sign-in links by email are not enabled for this tenant.'
          : 'Sign-in codes by email are not enabled for this tenant.',
      );
  }

  /** Mails a sign-in link to the account of `email`, if there is one; the same answer either way. */
  async sendLink(
    tenant: Tenant,
    email: string,
    binding: LinkBinding,
    meta: RequestMeta,
  ): Promise<{ expiresInSeconds: number }> {
    const ttlMs = this.deps.config.linkTtlMs;
    await this.send(tenant, 'magic_link', email, meta, async (user) => {
      const token = newOpaqueToken();
      await storeSignIn(this.deps.db, owner(tenant, user), {
        kind: 'link',
        secretHash: this.linkHash(tenant, token),
        email: user.email,
        codeChallenge: 'codeChallenge' in binding ? binding.codeChallenge : null,
        interactionId: 'interactionId' in binding ? binding.interactionId : null,
        ttlMs,
      });
      await this.audit(tenant, user, emailSignInEvents.linkSent, meta, {
        for: 'codeChallenge' in binding ? 'app' : 'browser',
      });
      return signInLinkEmail({
        tenantName: tenant.name,
        link: `${tenant.issuer}/v2/auth/magic-link/verify?token=${token}`,
        expiresInMinutes: ttlMs / 60_000,
      });
    });
    return { expiresInSeconds: Math.floor(ttlMs / 1000) };
  }

  /** Mails a sign-in code to the account of `email`, if there is one; the same answer either way. */
  async sendCode(tenant: Tenant, email: string, meta: RequestMeta): Promise<{ expiresInSeconds: number }> {
    const { length, ttlMs } = this.deps.config.code;
    await this.send(tenant, 'email_otp', email, meta, async (user) => {
      const code = randomDigits(length);
      await storeSignIn(this.deps.db, owner(tenant, user), {
        kind: 'code',
        secretHash: this.codeHash(tenant, user.id, code),
        email: user.email,
        codeChallenge: null,
        interactionId: null,
        ttlMs,
      });
      await this.audit(tenant, user, emailSignInEvents.codeSent, meta, {});
      return signInCodeEmail({ tenantName: tenant.name, code, expiresInMinutes: ttlMs / 60_000 });
    });
    return { expiresInSeconds: Math.floor(ttlMs / 1000) };
  }

  /** What a live link is, for the page it opens (nothing is spent); null when it is dead. */
  async linkState(tenant: Tenant, token: string): Promise<LinkState | null> {
    if (!looksLikeOpaqueToken(token)) return null;
    const row = await findLiveLink(this.deps.db, tenant.id, this.linkHash(tenant, token));
    if (!row) return null;
    return row.code_challenge
      ? { kind: 'app', email: row.email }
      : { kind: 'browser', email: row.email, interactionId: row.interaction_id };
  }

  /**
   * An app's link opened on a page: spends it and returns the code the page shows, which the app that asked
   * (and only it: the code is checked with its verifier) exchanges for tokens. invalid_grant when dead.
   */
  async approve(
    tenant: Tenant,
    token: string,
    meta: RequestMeta,
  ): Promise<{ code: string; expiresInSeconds: number }> {
    this.requireOffered(tenant, 'magic_link');
    await this.deps.limits.checkIp('login', meta.ip);
    if (!looksLikeOpaqueToken(token)) throw invalidEmailLink();
    const code = randomDigits(EXCHANGE_CODE_LENGTH);
    const linkHash = this.linkHash(tenant, token);
    const exchangeHash = this.exchangeHash(tenant, linkHash, code);
    const row = await approveLink(this.deps.db, tenant.id, linkHash, exchangeHash, EXCHANGE_TTL_MS);
    if (!row) throw invalidEmailLink();
    await insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type: emailSignInEvents.linkApproved,
      userId: row.user_id,
      ...auditMeta(meta),
    });
    return { code, expiresInSeconds: EXCHANGE_TTL_MS / 1000 };
  }

  settingsOf(tenant: Tenant): Required<EmailSignInSettings> {
    return emailSignInOf(tenant.settings);
  }

  /** Validates and stores the tenant's settings (untrusted input), then drops every instance's tenant cache. */
  async setSettings(
    tenant: Tenant,
    input: unknown,
    actor: SettingsActor,
  ): Promise<Required<EmailSignInSettings>> {
    const settings = validSettings(input);
    await this.deps.db.transaction(async (tx) => {
      if (!(await saveTenantSetting(tx, tenant.id, 'email_sign_in', settings)))
        throw new HelloJohnError('not_found', 'Unknown tenant.');
      await insertAuditEvent(tx, {
        tenantId: tenant.id,
        type: emailSignInEvents.settingsChanged,
        ...auditMeta(actor.meta),
        data: { via: 'admin_api', admin_id: actor.adminId, settings },
      });
    });
    await this.deps.tenants.changed(tenant.id);
    return emailSignInOf({ email_sign_in: settings });
  }

  /**
   * The checks before the answer (offered, rate limits: the same for every address), then, after it, the
   * account's lookup and `prepare` (store the secret, audit, the mail) only when there is an account.
   */
  private async send(
    tenant: Tenant,
    method: EmailMethod,
    email: string,
    meta: RequestMeta,
    prepare: (user: UserRow) => Promise<{ subject: string; text: string; html: string }>,
  ): Promise<void> {
    const { db, limits, cap, outbox } = this.deps;
    this.requireOffered(tenant, method);
    await limits.checkIp('forgot', meta.ip);
    const keys = accountKeys(email);
    if (keys.length === 0) return;
    // A refused address can match no account: its requests share one key, and nothing typed is kept.
    const addressKey = `${tenant.id}:${normalizedEmail(email) ?? 'refused-address'}`;
    await limits.checkAccount('forgot', addressKey);
    await cap.take(addressKey);
    outbox.enqueueFrom(method, async () => {
      const user = await findUserByEmail(db, tenant.id, keys);
      if (!user || user.blocked) return null;
      return { to: user.email_normalized, kind: method, tenant, ...(await prepare(user)) };
    });
  }

  private async verifyLink(tenant: Tenant, input: MagicLinkInput, meta: RequestMeta): Promise<UserRow> {
    this.requireOffered(tenant, 'magic_link');
    await this.deps.limits.checkIp('login', meta.ip);
    if ('token' in input) {
      if (!looksLikeOpaqueToken(input.token)) throw invalidEmailLink();
      const challenge = input.codeVerifier === undefined ? null : s256(input.codeVerifier);
      const row = await consumeLink(this.deps.db, tenant.id, this.linkHash(tenant, input.token), challenge);
      if (!row) throw invalidEmailLink();
      return this.signedInBy(tenant, row, invalidEmailLink);
    }
    // The code a page showed: wrong guesses spend the address's failure budget and the code's tries.
    const hold = await this.deps.limits.holdFailure(meta.ip);
    let row: ExchangeAttemptRow | undefined;
    try {
      row = await this.matchExchange(tenant, input.code, s256(input.codeVerifier));
    } catch (error) {
      await hold.giveBack().catch(() => undefined);
      throw error;
    }
    if (!row) throw wrongExchange();
    await hold.giveBack();
    return this.signedInBy(tenant, row, wrongExchange);
  }

  /** The app's link whose page showed `typed`, spent; counted against every live one of the challenge. */
  private async matchExchange(
    tenant: Tenant,
    typed: string,
    challenge: string,
  ): Promise<ExchangeAttemptRow | undefined> {
    const digits = typedDigits(typed, EXCHANGE_CODE_LENGTH);
    if (digits === null) return undefined;
    for (const row of await takeExchangeAttempts(this.deps.db, tenant.id, challenge, CODE_ATTEMPTS)) {
      const check = await checkCode(digits, {
        take: () => Promise.resolve({ ...row, codeHash: row.code_hash }),
        expected: (r, d) => this.exchangeHash(tenant, r.link_hash, d),
        consume: (r) => consumeExchange(this.deps.db, owner(tenant, { id: r.user_id }), r.code_hash),
      });
      if (check.accepted) return row;
    }
    return undefined;
  }

  private async verifyCode(tenant: Tenant, input: EmailCodeInput, meta: RequestMeta): Promise<UserRow> {
    const { db, limits, config } = this.deps;
    this.requireOffered(tenant, 'email_otp');
    await limits.checkIp('login', meta.ip);
    const hold = await limits.holdFailure(meta.ip);
    let user: UserRow | null;
    let check: CodeCheck<CodeAttemptRow & CodeAttempt>;
    try {
      user = await findUserByEmail(db, tenant.id, accountKeys(input.email));
      // An unknown address runs the same statements (on an id no account has): it answers alike.
      const who = owner(tenant, { id: user?.id ?? NO_USER });
      check = await checkCode(typedDigits(input.code, config.code.length), {
        take: async () => {
          const live = await takeCodeAttempt(db, who, CODE_ATTEMPTS);
          return live && { ...live, codeHash: live.code_hash };
        },
        expected: (_live, digits) => this.codeHash(tenant, who.userId, digits),
        consume: (live) => consumeCode(db, who, live.code_hash),
      });
    } catch (error) {
      await hold.giveBack().catch(() => undefined);
      throw error;
    }
    if (!user || !check.accepted) {
      if (user && !check.accepted && check.exhausted)
        await this.audit(tenant, user, emailSignInEvents.codeAttemptsExhausted, meta, {});
      throw wrongCode();
    }
    await hold.giveBack();
    return this.signedInBy(tenant, { user_id: user.id, email: check.row.email }, wrongCode);
  }

  /**
   * The user a spent link or code signs in: it proved the address it went to, as long as that is still the
   * account's (the address is then verified too); `dead` otherwise, or when the account is blocked.
   */
  private async signedInBy(
    tenant: Tenant,
    row: Pick<LiveLinkRow, 'user_id' | 'email'>,
    dead: () => HelloJohnError,
  ): Promise<UserRow> {
    const user = await findUserById(this.deps.db, tenant.id, row.user_id);
    if (!user || user.email !== row.email) throw dead();
    if (user.blocked) throw new HelloJohnError('access_denied', 'This account is blocked.');
    if (!user.email_verified && (await markEmailVerified(this.deps.db, tenant.id, user.id, row.email)))
      return { ...user, email_verified: true };
    return user;
  }

  private audit(
    tenant: Tenant,
    user: UserRow,
    type: (typeof emailSignInEvents)[keyof typeof emailSignInEvents],
    meta: RequestMeta,
    data: Record<string, unknown>,
  ): Promise<void> {
    return insertAuditEvent(this.deps.db, {
      tenantId: tenant.id,
      type,
      userId: user.id,
      ...auditMeta(meta),
      data,
    });
  }

  // Each secret's MAC names what it is for and where, so none stands in for another.
  private linkHash(tenant: Tenant, token: string): Buffer {
    return this.deps.macs.of(['link', tenant.id, token]);
  }

  private codeHash(tenant: Tenant, userId: string, digits: string): Buffer {
    return this.deps.macs.of(['code', tenant.id, userId, digits]);
  }

  private exchangeHash(tenant: Tenant, linkHash: Uint8Array, digits: string): Buffer {
    // From the database a bytea may come as a plain Uint8Array (PGlite): read its bytes, not its toString.
    return this.deps.macs.of(['exchange', tenant.id, Buffer.from(linkHash).toString('base64url'), digits]);
  }
}

function owner(tenant: Tenant, user: { id: string }): { tenantId: string; userId: string } {
  return { tenantId: tenant.id, userId: user.id };
}

function validSettings(input: unknown): EmailSignInSettings {
  if (Value.Check(EmailSignInSettings, input)) return input;
  const first = Value.Errors(EmailSignInSettings, input).First();
  throw new HelloJohnError(
    'invalid_request',
    `Invalid email sign-in settings${first ? ` at ${first.path || '/'}: ${first.message}` : ''}.`,
  );
}
