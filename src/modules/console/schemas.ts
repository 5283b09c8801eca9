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
});

export const ConsolePathParams = Type.Object({
  '*': Type.String({
    maxLength: 1024,
    description: 'A path under /admin/: a file, or a page of the console.',
  }),
});
