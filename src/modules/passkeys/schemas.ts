// Schemas of the passkey routes: the WebAuthn JSON that @simplewebauthn/browser (or a native app) sends
// and receives, the passkeys as the account and admin APIs show them, and the hosted pages' forms.
import { Type } from '@sinclair/typebox';
import { TenantFields } from '../../http/schemas/auth.js';
import { Nullable, TenantSlug, Uuid } from '../../http/schemas/common.js';
import { Csrf, InteractionId, ReturnPath } from '../../http/schemas/pages.js';
import { MAX_NAME } from './service.js';

/** base64url text, at most `max` characters. */
const B64 = (max: number, description?: string) =>
  Type.String({
    minLength: 1,
    maxLength: max,
    pattern: '^[A-Za-z0-9_-]+$',
    ...(description ? { description } : {}),
  });
const CredentialIdText = B64(1400, 'The credential id, base64url.');
const Transports = Type.Array(Type.String({ maxLength: 32 }), { maxItems: 8 });
const Extensions = Type.Object({}, { additionalProperties: true, description: 'Client extension results.' });
// Literals, not StringEnum: the page routes check these with Value.Check, which knows only TypeBox kinds.
const Attachment = Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')]));

/** RegistrationResponseJSON: what navigator.credentials.create() answered, as @simplewebauthn/browser encodes it. */
export const RegistrationResponse = Type.Object(
  {
    id: CredentialIdText,
    rawId: CredentialIdText,
    type: Type.Literal('public-key'),
    response: Type.Object({
      clientDataJSON: B64(4096),
      attestationObject: B64(32768),
      authenticatorData: Type.Optional(B64(16384)),
      transports: Type.Optional(Transports),
      publicKeyAlgorithm: Type.Optional(Type.Integer()),
      publicKey: Type.Optional(B64(16384)),
    }),
    authenticatorAttachment: Attachment,
    clientExtensionResults: Extensions,
  },
  {
    description:
      'The answer of navigator.credentials.create() (`startRegistration()` of @simplewebauthn/browser).',
  },
);

/** AuthenticationResponseJSON: what navigator.credentials.get() answered. */
export const AuthenticationResponse = Type.Object(
  {
    id: CredentialIdText,
    rawId: CredentialIdText,
    type: Type.Literal('public-key'),
    response: Type.Object({
      clientDataJSON: B64(4096),
      authenticatorData: B64(16384),
      signature: B64(2048),
      userHandle: Type.Optional(B64(128)),
    }),
    authenticatorAttachment: Attachment,
    clientExtensionResults: Extensions,
  },
  {
    description:
      'The answer of navigator.credentials.get() (`startAuthentication()` of @simplewebauthn/browser).',
  },
);

const Descriptor = Type.Object({
  id: Type.String(),
  type: Type.String(),
  transports: Type.Optional(Transports),
});

/** PublicKeyCredentialCreationOptionsJSON: give it to `startRegistration({ optionsJSON })`. */
export const CreationOptions = Type.Object(
  {
    challenge: Type.String(),
    rp: Type.Object({ id: Type.Optional(Type.String()), name: Type.String() }),
    user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }),
    pubKeyCredParams: Type.Array(Type.Object({ type: Type.String(), alg: Type.Integer() })),
    timeout: Type.Optional(Type.Integer()),
    excludeCredentials: Type.Optional(Type.Array(Descriptor)),
    authenticatorSelection: Type.Optional(Type.Object({}, { additionalProperties: true })),
    attestation: Type.Optional(Type.String()),
    extensions: Type.Optional(Type.Object({}, { additionalProperties: true })),
    hints: Type.Optional(Type.Array(Type.String())),
  },
  {
    additionalProperties: true,
    description:
      'Options for navigator.credentials.create(): pass them to `startRegistration({ optionsJSON })`.',
  },
);

/** PublicKeyCredentialRequestOptionsJSON: give it to `startAuthentication({ optionsJSON })`. */
export const RequestOptions = Type.Object(
  {
    challenge: Type.String(),
    rpId: Type.Optional(Type.String()),
    timeout: Type.Optional(Type.Integer()),
    allowCredentials: Type.Optional(Type.Array(Descriptor)),
    userVerification: Type.Optional(Type.String()),
    extensions: Type.Optional(Type.Object({}, { additionalProperties: true })),
    hints: Type.Optional(Type.Array(Type.String())),
  },
  {
    additionalProperties: true,
    description:
      'Options for navigator.credentials.get(), with no allowCredentials (any passkey of this site): pass them to ' +
      '`startAuthentication({ optionsJSON })`.',
  },
);

export const PasskeyName = Type.String({
  maxLength: MAX_NAME,
  description: 'What the user calls it ("Work laptop").',
});

export const RegisterFinishBody = Type.Object(
  { response: RegistrationResponse, name: Type.Optional(PasskeyName), tenant_id: TenantFields.tenant_id },
  { additionalProperties: false },
);

export const LoginBeginBody = Type.Optional(
  Type.Object({ ...TenantFields }, { additionalProperties: false }),
);

export const LoginFinishBody = Type.Object(
  { response: AuthenticationResponse, ...TenantFields },
  { additionalProperties: false },
);

export const RenameBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: MAX_NAME }), tenant_id: TenantFields.tenant_id },
  { additionalProperties: false },
);

export const PasskeyJson = Type.Object({
  id: Uuid,
  name: Type.String(),
  aaguid: Type.String({ description: 'The authenticator model (zeros when it does not say).' }),
  backup_eligible: Type.Boolean({ description: 'A synced (multi-device) passkey.' }),
  backed_up: Type.Boolean({ description: 'Synced now, as the authenticator last said.' }),
  transports: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  last_used_at: Nullable(Type.String({ format: 'date-time' })),
});

export const PasskeyList = Type.Object({ passkeys: Type.Array(PasskeyJson) });

export const AdminUserParams = Type.Object({ tenant: TenantSlug, id: Uuid });
export const AdminPasskeyParams = Type.Object({ tenant: TenantSlug, id: Uuid, passkey_id: Uuid });

// --- hosted pages ---

export const OptionsForm = Type.Object({ csrf_token: Type.Optional(Csrf) });

/** The assertion or attestation as JSON text, in a form field the script fills. */
const ResponseField = Type.String({
  minLength: 1,
  maxLength: 65536,
  description: 'The WebAuthn answer, as JSON.',
});

export const LoginPasskeyForm = Type.Object({
  response: ResponseField,
  csrf_token: Type.Optional(Csrf),
  interaction: Type.Optional(InteractionId),
  return_to: Type.Optional(ReturnPath),
});

export const AddPasskeyForm = Type.Object({
  response: ResponseField,
  name: Type.Optional(PasskeyName),
  csrf_token: Type.Optional(Csrf),
});

export const RenamePasskeyForm = Type.Object({
  passkey_id: Uuid,
  name: Type.String({ maxLength: MAX_NAME }),
  csrf_token: Type.Optional(Csrf),
});

export const DeletePasskeyForm = Type.Object({ passkey_id: Uuid, csrf_token: Type.Optional(Csrf) });

/** Where the page after a sign-up goes on to: the authorization in progress, or a page of ours. */
export const SignUpStepQuery = Type.Object({
  interaction: Type.Optional(InteractionId),
  return_to: Type.Optional(ReturnPath),
});

export const SignUpPasskeyForm = Type.Object({
  response: ResponseField,
  csrf_token: Type.Optional(Csrf),
  interaction: Type.Optional(InteractionId),
  return_to: Type.Optional(ReturnPath),
});
