// `hellojohn clients create|list|update|rotate-secret|delete`: OAuth clients of a tenant.
import {
  clientJson,
  type Client,
  type ClientType,
  type GrantType,
  type IdTokenAlg,
  type NewClient,
  type TokenEndpointAuthMethod,
} from '../clients/clients.js';
import { commaList, printJson, resolveTenant, withServices } from './management.js';
import { formatTable } from './table.js';

export interface ClientsCreateOptions {
  tenant: string;
  name: string;
  type: ClientType;
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  grantTypes?: string;
  scopes?: string;
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  idTokenAlg?: IdTokenAlg;
  firstParty?: boolean;
  resourceServer?: boolean;
  tokenEndpointAuthStrict?: boolean;
  defaultAcrValues?: string;
  clientId?: string;
  json?: boolean;
}

export interface ClientsUpdateOptions {
  tenant: string;
  resourceServer?: 'true' | 'false';
  tokenEndpointAuthStrict?: 'true' | 'false';
  defaultAcrValues?: string;
  json?: boolean;
}

export function clientsCreateCommand(options: ClientsCreateOptions): Promise<number> {
  return withServices(async (services) => {
    const tenant = await resolveTenant(services, options.tenant);
    const input: NewClient = {
      name: options.name,
      type: options.type,
      redirectUris: options.redirectUri ?? [],
      postLogoutRedirectUris: options.postLogoutRedirectUri ?? [],
      grantTypes:
        options.grantTypes === undefined ? undefined : (commaList(options.grantTypes) as GrantType[]),
      scopes: options.scopes === undefined ? undefined : commaList(options.scopes),
      tokenEndpointAuthMethod: options.tokenEndpointAuthMethod,
      idTokenSignedResponseAlg: options.idTokenAlg,
      firstParty: options.firstParty === true,
      resourceServer: options.resourceServer === true,
      tokenEndpointAuthStrict: options.tokenEndpointAuthStrict === true,
      defaultAcrValues:
        options.defaultAcrValues === undefined ? undefined : commaList(options.defaultAcrValues),
      clientId: options.clientId,
    };
    const { client, clientSecret } = await services.clients.create(tenant, input, { via: 'cli' });
    if (options.json) {
      printJson(clientJson(client, tenant.slug, clientSecret));
      return 0;
    }
    process.stdout.write(`client created in tenant "${tenant.slug}"\n${describe(client)}`);
    if (clientSecret) process.stdout.write(secretNotice(clientSecret));
    return 0;
  });
}

export function clientsListCommand(options: { tenant: string; json?: boolean }): Promise<number> {
  return withServices(async (services) => {
    const tenant = await resolveTenant(services, options.tenant);
    const clients = await services.clients.list(tenant);
    if (options.json) {
      printJson({ clients: clients.map((client) => clientJson(client, tenant.slug)) });
      return 0;
    }
    if (clients.length === 0) {
      process.stdout.write(`no clients in tenant "${tenant.slug}"\n`);
      return 0;
    }
    const rows = clients.map((c) => [
      c.clientId,
      c.name,
      c.type,
      c.grantTypes.join(','),
      c.tokenEndpointAuthMethod,
      c.firstParty ? 'yes' : 'no',
      c.redirectUris.join(' ') || '-',
      c.createdAt.toISOString(),
    ]);
    const header = [
      'CLIENT_ID',
      'NAME',
      'TYPE',
      'GRANT TYPES',
      'AUTH METHOD',
      'FIRST PARTY',
      'REDIRECT URIS',
      'CREATED',
    ];
    process.stdout.write(`${formatTable(header, rows).join('\n')}\n`);
    return 0;
  });
}

export function clientsUpdateCommand(clientId: string, options: ClientsUpdateOptions): Promise<number> {
  return withServices(async (services) => {
    const tenant = await resolveTenant(services, options.tenant);
    const flag = (value: 'true' | 'false' | undefined) =>
      value === undefined ? undefined : value === 'true';
    const client = await services.clients.update(
      tenant,
      clientId,
      {
        resourceServer: flag(options.resourceServer),
        tokenEndpointAuthStrict: flag(options.tokenEndpointAuthStrict),
        defaultAcrValues:
          options.defaultAcrValues === undefined ? undefined : commaList(options.defaultAcrValues),
      },
      { via: 'cli' },
    );
    if (options.json) {
      printJson(clientJson(client, tenant.slug));
      return 0;
    }
    process.stdout.write(`client updated in tenant "${tenant.slug}"\n${describe(client)}`);
    return 0;
  });
}

export function clientsDeleteCommand(
  clientId: string,
  options: { tenant: string; json?: boolean },
): Promise<number> {
  return withServices(async (services) => {
    const tenant = await resolveTenant(services, options.tenant);
    await services.clients.delete(tenant, clientId, { via: 'cli' });
    if (options.json) printJson({ client_id: clientId, tenant: tenant.slug, deleted: true });
    else
      process.stdout.write(
        `client ${clientId} deleted from tenant "${tenant.slug}", with its sessions, tokens and consents\n`,
      );
    return 0;
  });
}

export function clientsRotateSecretCommand(
  clientId: string,
  options: { tenant: string; json?: boolean },
): Promise<number> {
  return withServices(async (services) => {
    const tenant = await resolveTenant(services, options.tenant);
    const { client, clientSecret } = await services.clients.rotateSecret(tenant, clientId, { via: 'cli' });
    if (options.json) {
      printJson(clientJson(client, tenant.slug, clientSecret));
      return 0;
    }
    process.stdout.write(
      `new secret for client ${client.clientId} in tenant "${tenant.slug}"; the previous secret no longer works\n`,
    );
    process.stdout.write(secretNotice(clientSecret));
    return 0;
  });
}

function describe(client: Client): string {
  const lines: [string, string][] = [
    ['client_id', client.clientId],
    ['name', client.name],
    ['type', client.type],
    ['redirect_uris', client.redirectUris.join(' ') || '-'],
    ['post_logout_redirect_uris', client.postLogoutRedirectUris.join(' ') || '-'],
    ['grant_types', client.grantTypes.join(',')],
    ['token_endpoint_auth_method', client.tokenEndpointAuthMethod],
    ['scopes', client.scopes.join(' ') || '-'],
    ['first_party', client.firstParty ? 'yes' : 'no'],
    ['resource_server', client.resourceServer ? 'yes' : 'no'],
    ['token_endpoint_auth_strict', client.tokenEndpointAuthStrict ? 'yes' : 'no'],
    ['id_token_signed_response_alg', client.idTokenSignedResponseAlg],
    ['default_acr_values', client.defaultAcrValues.join(',') || '-'],
  ];
  return lines.map(([key, value]) => `  ${`${key}:`.padEnd(30)}${value}\n`).join('');
}

function secretNotice(secret: string): string {
  return (
    `  ${'client_secret:'.padEnd(30)}${secret}\n\n` +
    'Store this client secret now: it is shown only once and cannot be retrieved later ' +
    '(only its hash is stored). Use `hellojohn clients rotate-secret` to issue a new one.\n'
  );
}
