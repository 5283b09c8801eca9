// The cookies HelloJohn sets, named per tenant so tenants on one host never share them: the browser
// session, the interaction state of an authorization in progress, and the CSRF secret of the hosted forms;
// and the one a feature module names ("remember this device"), set with the same rules.
// `__Host-` prefix whenever the cookies are Secure and not shared with a parent domain.
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import type { DeviceCookie } from '../kernel/authentication.js';
import type { Tenant } from '../tenants/tenants.js';

export type CookieKind = 'session' | 'interaction' | 'csrf';

export class Cookies {
  constructor(private readonly sessions: Config['sessions']) {}

  name(kind: CookieKind, t: Pick<Tenant, 'slug'>): string {
    // The session cookie may be shared with a parent domain (SESSION_DOMAIN); the others never are.
    const hostOnly = kind !== 'session' || !this.sessions.domain;
    const base = `${this.sessions.secure && hostOnly ? '__Host-' : ''}hj_${kind}`;
    return t.slug === 'default' ? base : `${base}-${t.slug}`;
  }

  options(kind: CookieKind): CookieSerializeOptions {
    return {
      path: '/',
      httpOnly: true,
      secure: this.sessions.secure,
      sameSite: kind === 'session' ? this.sessions.sameSite : 'lax',
      ...(kind === 'session' && this.sessions.domain ? { domain: this.sessions.domain } : {}),
    };
  }

  read(request: FastifyRequest, kind: CookieKind, t: Tenant): string | undefined {
    return request.cookies[this.name(kind, t)];
  }

  set(reply: FastifyReply, kind: CookieKind, t: Tenant, value: string, maxAgeSeconds?: number): void {
    reply.setCookie(this.name(kind, t), value, {
      ...this.options(kind),
      ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}),
    });
  }

  /**
   * A module's "remember this device" cookie: httpOnly, Secure when ours are, SameSite=Lax, and only under
   * the tenant's path (`basePath`: '' for the default tenant), so another tenant's pages never receive it.
   */
  setDevice(reply: FastifyReply, basePath: string, cookie: DeviceCookie): void {
    reply.setCookie(cookie.name, cookie.value, {
      path: basePath || '/',
      httpOnly: true,
      secure: this.sessions.secure,
      sameSite: 'lax',
      maxAge: cookie.maxAgeSeconds,
    });
  }

  clear(reply: FastifyReply, kind: CookieKind, t: Tenant): void {
    reply.clearCookie(this.name(kind, t), this.options(kind));
  }
}
