import { Type } from '@sinclair/typebox';

export const ConsoleConfigJson = Type.Object({
  issuer: Type.String({
    description:
      "The operators' tenant (`admin`): discovery is at `{issuer}/.well-known/openid-configuration`.",
  }),
  client_id: Type.String({ description: 'The console\u2019s public client (`hellojohn-console`).' }),
  redirect_uri: Type.String({ description: '`<BASE_URL>/admin/callback`.' }),
  post_logout_redirect_uri: Type.String({ description: '`<BASE_URL>/admin/`.' }),
  admin_exists: Type.Boolean({
    description: 'Whether a console admin exists; false: the console shows how to create the first one.',
  }),
  first_run_open: Type.Boolean({
    description:
      'Whether this browser may create the first admin on the first-run page (POST /v2/admin/register): no ' +
      'admin yet, a local install (BASE_URL on a loopback host), a request from this machine, not proxied.',
  }),
});

export const FirstAdminBody = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254, description: 'An email address.' }),
    password: Type.String({
      minLength: 1,
      maxLength: 1024,
      description: "Checked against the operators' tenant's password policy.",
    }),
  },
  { additionalProperties: false },
);

export const FirstAdminJson = Type.Object({
  user_id: Type.String({ description: "The account in the operators' tenant (slug `admin`)." }),
  email: Type.String(),
});

export const ConsolePathParams = Type.Object({
  '*': Type.String({
    maxLength: 1024,
    description: 'A path under /admin/: a file, or a page of the console.',
  }),
});
