// Schemas of sign-in by email: the JSON API's bodies and answers, and the hosted pages' forms.
import { Type } from '@sinclair/typebox';
import { SecondStepRequired, TenantFields, TokenResponse } from '../../http/schemas/auth.js';
import { Email, StringEnum } from '../../http/schemas/common.js';
import { Csrf, InteractionId, LinkToken } from '../../http/schemas/pages.js';

/** RFC 7636 §4.1: 43–128 unreserved characters. */
const CodeVerifier = Type.String({
  pattern: '^[A-Za-z0-9._~-]{43,128}$',
  description: 'The PKCE-style verifier the app kept when it asked for the link (RFC 7636 §4.1).',
});

export const LinkSendBody = Type.Object(
  {
    email: Email,
    code_challenge: Type.String({
      pattern: '^[A-Za-z0-9_-]{43}$',
      description: 'BASE64URL(SHA-256(code_verifier)): only the holder of the verifier gets the tokens.',
    }),
    code_challenge_method: Type.Optional(StringEnum(['S256'])),
    ...TenantFields,
  },
  { additionalProperties: false },
);

export const CodeSendBody = Type.Object({ email: Email, ...TenantFields }, { additionalProperties: false });

export const Sent = Type.Object({
  status: StringEnum(['accepted']),
  expires_in: Type.Number({ description: 'Seconds the link or code works, once it is sent.' }),
});

export const CodeVerifyBody = Type.Object(
  {
    email: Email,
    code: Type.String({ minLength: 1, maxLength: 32, description: 'The code from the mail.' }),
    ...TenantFields,
  },
  { additionalProperties: false },
);

export const ExchangeBody = Type.Object(
  {
    code_verifier: CodeVerifier,
    code: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 32,
        description: 'The code the link showed when it was opened on another device.',
      }),
    ),
    token: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'The link’s token, when the app opened the link itself (a universal or app link).',
      }),
    ),
    ...TenantFields,
  },
  { additionalProperties: false },
);

export const SignedIn = Type.Union([TokenResponse, SecondStepRequired], {
  description: 'Tokens, or (a second factor applies) the challenge of the second step.',
});

// --- the pages ---

export const AskForm = Type.Object({
  action: StringEnum(['send', 'verify']),
  email: Email,
  code: Type.Optional(Type.String({ maxLength: 32 })),
  csrf_token: Type.Optional(Csrf),
  interaction: Type.Optional(InteractionId),
});

export const LinkQuery = Type.Object({ token: Type.Optional(LinkToken) });

export const LinkForm = Type.Object({
  token: LinkToken,
  csrf_token: Type.Optional(Csrf),
  interaction: Type.Optional(InteractionId),
});

export { EmailSignInSettings } from './settings.js';
