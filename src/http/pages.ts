// The one hosted page this release needs: choosing a new password from the reset link in an email.
// Server-rendered, works without JavaScript. The single-use reset token travels in the form and is the
// proof the request came from the link's owner, so no separate CSRF token is needed here.
import { Type } from '@sinclair/typebox';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { AuthService } from '../auth/service.js';
import { HelloJohnError } from '../errors.js';
import { escapeHtml } from '../mail/templates.js';
import type { Tenant, Tenants } from '../tenants/tenants.js';
import { metaOf, tenantOf } from './context.js';
import { OpaqueToken, Password, TenantParams } from './schemas.js';

export const pageRoutes: FastifyPluginAsync<{ auth: AuthService; tenants: Tenants }> = async (
  app,
  { auth, tenants },
) => {
  // HTML forms post url-encoded bodies. Only in this plugin's scope: the JSON API must stay JSON-only,
  // or any site could post a cross-origin form to it without a CORS preflight (login CSRF).
  await app.register(formbody, { bodyLimit: 16 * 1024 });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'no-referrer');
  });

  app.get(
    '/reset-password',
    { schema: { params: TenantParams, querystring: Type.Object({ token: Type.Optional(OpaqueToken) }) } },
    async (request, reply) => {
      const t = await tenantOf(request, tenants);
      const token = (request.query as { token?: string }).token ?? '';
      return html(reply, 200, resetForm(t, token));
    },
  );

  app.post(
    '/reset-password',
    {
      schema: {
        params: TenantParams,
        body: Type.Object({ token: OpaqueToken, password: Password, confirm: Type.Optional(Password) }),
      },
    },
    async (request, reply) => {
      const t = await tenantOf(request, tenants);
      const body = request.body as { token: string; password: string; confirm?: string };
      if (body.confirm !== undefined && body.confirm !== body.password) {
        return html(reply, 400, resetForm(t, body.token, 'The two passwords do not match.'));
      }
      try {
        await auth.resetPassword(t, body.token, body.password, metaOf(request));
      } catch (error) {
        if (!(error instanceof HelloJohnError) || error.code === 'service_unavailable') throw error;
        return html(reply, 400, resetForm(t, body.token, error.description));
      }
      return html(
        reply,
        200,
        layout(t, 'Password changed', '<p>Your password has been changed. You can now sign in with it.</p>'),
      );
    },
  );
};

function html(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

function resetForm(t: Tenant, token: string, error?: string): string {
  const alert = error ? `<p role="alert" class="error">${escapeHtml(error)}</p>` : '';
  return layout(
    t,
    'Choose a new password',
    `${alert}<form method="post">
  <input type="hidden" name="token" value="${escapeHtml(token)}">
  <p><label for="password">New password</label><br><input id="password" name="password" type="password" autocomplete="new-password" required></p>
  <p><label for="confirm">Repeat the new password</label><br><input id="confirm" name="confirm" type="password" autocomplete="new-password" required></p>
  <p><button type="submit">Change password</button></p>
</form>`,
  );
}

/** The frame of every hosted page: `content` is trusted HTML, everything else is escaped. */
export function layout(t: Tenant, title: string, content: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – ${escapeHtml(t.name)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}.error{color:#b00020}</style>
</head><body><main><h1>${escapeHtml(title)}</h1>${content}</main></body></html>`;
}
