// A tenant's own settings (the members of tenants.settings the core owns), their rules and how the rest of
// the code reads them. Feature modules keep their own members (`mfa`, `passkeys`, `social`, ...) through
// their admin routes; these are the core's:
//   branding         display_name, logo_url (https), primary_color, background_color (#hex), custom_css
//                    (the safe subset of branding-css.ts): the hosted pages (src/http/views/layout.ts)
//   password_policy  src/auth/password-policy.ts (policyFor)
//   sign_up          { enabled }: Registration refuses new accounts when false, by every route
//   sign_in          { password }: the password sign-in (API and page) when false
//   cors             { allowed_origins }: added to CORS_ORIGINS for this tenant's routes
//   audit            { retention_days }: overrides AUDIT_RETENTION for this tenant's events (0 = keep)
//   lifetimes        { access_token, id_token, refresh_token, session, session_idle } in seconds: over
//                    ACCESS_TTL etc. (lifetimes.ts, read wherever tokens and sessions are made)
//   smtp             { host, port, secure, user, password, from }: the tenant's mail server (smtp.ts: the
//                    password is sealed before it is stored, and never shown)
// Readers are lenient (a value of the wrong shape means the default, as if absent); writers are strict
// (validateSettingsPatch throws invalid_request naming the problem).
import { isIP } from 'node:net';
import { Value } from '@sinclair/typebox/value';
import { HelloJohnError } from '../errors.js';
import { SINGLE_ADDRESS } from '../mail/mailer.js';
import { hasControlOrBidi } from '../text-rules.js';
import { checkCustomCss } from './branding-css.js';
import { SETTINGS_MEMBERS } from './settings-schema.js';

export const CORE_SETTINGS = [
  'branding',
  'password_policy',
  'sign_up',
  'sign_in',
  'cors',
  'audit',
  'lifetimes',
  'smtp',
] as const;
export type CoreSetting = (typeof CORE_SETTINGS)[number];

/** A change to the core's settings: a member given replaces the stored one; null removes it. */
export type SettingsPatch = Partial<Record<CoreSetting, Record<string, unknown> | null>>;

const COLOR = /^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/;
const MAX_ORIGINS = 50;
const MAX_RETENTION_DAYS = 3650;

const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
// A From: one address as the mailer accepts it (SINGLE_ADDRESS), optionally behind a plain display name.
const NAMED_ADDRESS = /^([^<>"\\]{1,100}?)\s*<([^<>]+)>$/;

const invalid = (description: string) => new HelloJohnError('invalid_request', description);

/**
 * The settings' shape (settings-schema.ts, the route's own schema: checked again here for the CLI's JSON),
 * then the service's rules; answers the values to store.
 */
export function validateSettingsPatch(input: unknown): SettingsPatch {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw invalid('settings must be an object.');
  for (const [key, value] of Object.entries(input)) {
    const schema = SETTINGS_MEMBERS[key];
    if (!schema) throw invalid(`settings.${key.slice(0, 60)} is not a known setting.`);
    if (value === null) continue;
    // An unknown field first (a misspelling explains the missing one next to it).
    const problems = [...Value.Errors(schema, value)];
    const first = problems.find((p) => 'not' in p.schema) ?? problems[0];
    if (!first) continue;
    const where = `settings.${key}${first.path.replace(/\//g, '.')}`;
    throw invalid(
      'not' in first.schema
        ? `${where} is not a known setting.`
        : `${where}: ${first.message.toLowerCase()}.`,
    );
  }
  const patch = input as SettingsPatch;
  const out: SettingsPatch = {};
  for (const key of CORE_SETTINGS) {
    const value = patch[key];
    if (value === undefined) continue;
    if (value === null) {
      out[key] = null;
      continue;
    }
    out[key] = RULES[key](value);
  }
  return out;
}

const RULES: Record<CoreSetting, (value: Record<string, unknown>) => Record<string, unknown>> = {
  branding(raw) {
    // Shaped by the schema: every member given is a string.
    const b = raw as Record<string, string | undefined>;
    const out: Record<string, unknown> = {};
    if (b.display_name !== undefined) {
      const name = b.display_name.normalize('NFC').trim();
      if ([...name].length < 1 || [...name].length > 100 || hasControlOrBidi(name))
        throw invalid('branding.display_name must be 1 to 100 characters, without control characters.');
      out.display_name = name;
    }
    if (b.logo_url !== undefined) out.logo_url = httpsUrl(b.logo_url);
    for (const key of ['primary_color', 'background_color'] as const) {
      if (b[key] === undefined) continue;
      if (!COLOR.test(b[key])) throw invalid(`branding.${key} must be a hex colour, #rgb or #rrggbb.`);
      out[key] = b[key].toLowerCase();
    }
    if (b.custom_css !== undefined) {
      const check = checkCustomCss(b.custom_css);
      if (!check.ok) throw invalid(check.reason);
      out.custom_css = check.css;
    }
    return out;
  },
  password_policy(p) {
    const min = p.min_length as number | undefined;
    const max = p.max_length as number | undefined;
    if (min !== undefined && max !== undefined && min > max)
      throw invalid('password_policy.min_length must not be greater than max_length.');
    return { ...p };
  },
  sign_up: (s) => ({ ...s }),
  sign_in: (s) => ({ ...s }),
  cors(c) {
    const origins = (c.allowed_origins as string[] | undefined) ?? [];
    if (origins.length > MAX_ORIGINS) throw invalid(`cors.allowed_origins: at most ${MAX_ORIGINS}.`);
    return { allowed_origins: [...new Set(origins.map(origin))] };
  },
  lifetimes(l) {
    // Shaped and bounded by the schema: whole numbers of seconds.
    const session = l.session as number | undefined;
    const idle = l.session_idle as number | undefined;
    if (session !== undefined && idle !== undefined && idle > session)
      throw invalid('lifetimes.session_idle must not be greater than lifetimes.session.');
    return { ...l };
  },
  smtp(m) {
    const host = String(m.host).toLowerCase();
    if (!(HOST_NAME.test(host) || isIP(host) !== 0))
      throw invalid('smtp.host must be a host name or an IP address, without a scheme, port or path.');
    const from = String(m.from).normalize('NFC').trim();
    const named = NAMED_ADDRESS.exec(from);
    const address = named ? named[2]! : from;
    if (!SINGLE_ADDRESS.test(address) || hasControlOrBidi(from))
      throw invalid('smtp.from must be an address (no-reply@example.com) or "Name <address>".');
    if (m.password !== undefined && m.user === undefined) throw invalid('smtp.password needs smtp.user.');
    const user = m.user as string | undefined;
    if (user !== undefined && hasControlOrBidi(user))
      throw invalid('smtp.user may not contain control characters.');
    return {
      host,
      port: m.port,
      secure: m.secure === true,
      ...(user !== undefined ? { user } : {}),
      ...(m.password !== undefined ? { password: m.password } : {}),
      from,
    };
  },
  audit(a) {
    const days = a.retention_days as number;
    if (!Number.isSafeInteger(days) || days < 0 || days > MAX_RETENTION_DAYS)
      throw invalid(`audit.retention_days must be a whole number of days, 0 to ${MAX_RETENTION_DAYS}.`);
    return { retention_days: days };
  },
};

function httpsUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('branding.logo_url must be an absolute https: URL.');
  }
  if (url.protocol !== 'https:') throw invalid('branding.logo_url must be an https: URL.');
  if (url.username || url.password) throw invalid('branding.logo_url may not carry credentials.');
  if (url.href.length > 2000) throw invalid('branding.logo_url is longer than 2000 characters.');
  return url.href;
}

/** An origin as browsers send it: scheme://host[:port], https (http only for localhost). */
function origin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(
      `cors.allowed_origins: "${value.slice(0, 100)}" is not an origin (https://app.example.com).`,
    );
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (
    url.origin !== value.replace(/\/$/, '') ||
    !(url.protocol === 'https:' || (url.protocol === 'http:' && local))
  ) {
    throw invalid(
      `cors.allowed_origins: "${value.slice(0, 100)}" is not an origin (https://host[:port], no path; http only for localhost).`,
    );
  }
  return url.origin;
}

// --- readers -----------------------------------------------------------------------------------------

type WithSettings = { settings: Record<string, unknown> };

function member(tenant: WithSettings, key: CoreSetting): Record<string, unknown> {
  const value = tenant.settings[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Whether people may create their own accounts here (registration, social first sign-ins). */
export function signUpEnabled(tenant: WithSettings): boolean {
  return member(tenant, 'sign_up').enabled !== false;
}

/** Whether the password sign-in is offered here. */
export function passwordSignInEnabled(tenant: WithSettings): boolean {
  return member(tenant, 'sign_in').password !== false;
}

/** The origins this tenant allows for CORS (on top of CORS_ORIGINS). */
export function corsOriginsOf(tenant: WithSettings): string[] {
  const origins = member(tenant, 'cors').allowed_origins;
  return Array.isArray(origins) ? origins.filter((o): o is string => typeof o === 'string') : [];
}

/** The tenant's audit retention in days, or undefined for the installation's (AUDIT_RETENTION). */
export function auditRetentionDays(tenant: WithSettings): number | undefined {
  const days = member(tenant, 'audit').retention_days;
  return Number.isSafeInteger(days) && (days as number) >= 0 ? (days as number) : undefined;
}

/** The error a tenant with sign-up off answers. */
export function signUpDisabled(): HelloJohnError {
  return new HelloJohnError(
    'signup_disabled',
    'This tenant does not allow creating accounts (sign-up is off).',
  );
}
