// Schemas of the invitations' admin routes and of the page the link opens. Shapes only; the rules
// (address, roles, lifetime) are the service's.
import { Type, type TProperties } from '@sinclair/typebox';
import { Email, Name, Nullable, Password, StringEnum, TenantSlug, Uuid } from '../../http/schemas/common.js';
import { Csrf, LinkToken } from '../../http/schemas/pages.js';
import { DEFAULT_LIMIT, MAX_LIMIT, MAX_TTL_SECONDS, MIN_TTL_SECONDS } from './service.js';

const strict = <P extends TProperties>(properties: P) =>
  Type.Object(properties, { additionalProperties: false });
const When = Type.String({ format: 'date-time' });
const RoleName = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'The name of one of the tenant\u2019s roles.',
});
const Status = StringEnum(['pending', 'accepted', 'revoked', 'expired']);

export const InvitationParams = strict({ tenant: TenantSlug, id: Uuid });

export const InvitationCreate = strict({
  email: Email,
  roles: Type.Optional(
    Type.Array(RoleName, {
      maxItems: 50,
      description: 'Roles the account gets when it is created (default none).',
    }),
  ),
  name: Type.Optional(Name),
  expires_in: Type.Optional(
    Type.Integer({
      minimum: MIN_TTL_SECONDS,
      maximum: MAX_TTL_SECONDS,
      description: 'Seconds the link works (default 7 days, at most 30 days).',
    }),
  ),
  send_email: Type.Optional(
    Type.Boolean({
      description: 'Mail the link to the address (default true); false: hand `url` over yourself.',
    }),
  ),
});

export const InvitationResend = strict({
  expires_in: InvitationCreate.properties.expires_in,
  send_email: InvitationCreate.properties.send_email,
});

export const InvitationListQuery = strict({
  limit: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,4}$', description: `1 to ${MAX_LIMIT}; default ${DEFAULT_LIMIT}.` }),
  ),
  cursor: Type.Optional(
    Type.String({ maxLength: 300, description: 'The `next_cursor` of the previous page.' }),
  ),
  status: Type.Optional(Status),
});

export const Invitation = Type.Object({
  id: Uuid,
  email: Type.String(),
  name: Nullable(Type.String()),
  roles: Type.Array(Type.String()),
  status: Status,
  expires_at: When,
  created_at: When,
  updated_at: When,
  user_id: Nullable(Type.String({ format: 'uuid', description: 'The account it made (accepted).' })),
});

export const InvitationWithUrl = Type.Object({
  ...Invitation.properties,
  url: Type.String({
    format: 'uri',
    description:
      'The link that accepts the invitation: shown only in this answer (the server keeps its hash).',
  }),
});

export const InvitationPage = Type.Object({
  invitations: Type.Array(Invitation),
  next_cursor: Nullable(Type.String()),
});

export const InviteQuery = Type.Object({ token: Type.Optional(LinkToken) });

export const InviteForm = Type.Object({
  token: LinkToken,
  name: Type.Optional(Name),
  password: Type.Optional(Password),
  confirm: Type.Optional(Password),
  csrf_token: Type.Optional(Csrf),
});
