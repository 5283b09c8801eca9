// Request schemas shared by the auth routes. Unknown properties are dropped (Fastify removes
// additional properties); types are never coerced, so `"password": 123` is a 400, not "123".
import { Type } from '@sinclair/typebox';

export const TenantId = Type.String({ minLength: 1, maxLength: 64 });
export const Email = Type.String({ minLength: 3, maxLength: 254 });
export const Password = Type.String({ minLength: 1, maxLength: 1024 });
export const OpaqueToken = Type.String({ minLength: 1, maxLength: 256 });
export const Name = Type.String({ maxLength: 200 });

export const TenantQuery = Type.Object(
  { tenant_id: Type.Optional(TenantId) },
  { additionalProperties: false },
);
export const TenantParams = Type.Object({ tenant: Type.Optional(Type.String({ maxLength: 63 })) });

// Strict 8-4-4-4-12 hex: ajv's `uuid` format also accepts a `urn:uuid:` prefix PostgreSQL would refuse.
export const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});

// The hosted pages' forms.
export const InteractionId = Type.String({ maxLength: 64 });
export const InteractionQuery = Type.Object({ interaction: Type.Optional(InteractionId) });
export const Csrf = Type.String({ maxLength: 100 });

/** Email and password, with the tenant or client that names the tenant (/v2/auth/login, /v2/session/login). */
export const Credentials = Type.Object(
  {
    email: Email,
    password: Password,
    tenant_id: Type.Optional(TenantId),
    client_id: Type.Optional(TenantId),
  },
  { additionalProperties: false },
);
