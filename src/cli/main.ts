// The `hellojohn` command.
import { Command, Option } from 'commander';
import { featureModules } from '../modules/index.js';
import { GRANT_TYPES } from '../oauth/grants/grant-types.js';
import { VERSION } from '../version.js';
import { ADMIN_KEY_SCOPES } from '../admin/admins.js';
import {
  adminCreateCommand,
  adminListTokensCommand,
  adminRevokeTokenCommand,
  type AdminCreateOptions,
} from './admin.js';
import {
  clientsCreateCommand,
  clientsDeleteCommand,
  clientsListCommand,
  clientsRotateSecretCommand,
  clientsUpdateCommand,
  type ClientsCreateOptions,
  type ClientsUpdateOptions,
} from './clients.js';
import { CliError, run } from './context.js';
import { dbCheckCommand } from './db-check.js';
import { dbSqlCommand } from './db-sql.js';
import { keysListCommand, keysRotateCommand } from './keys.js';
import { migrateCommand, migrateStatusCommand } from './migrate.js';
import { collect, refuseUnknownCommand, usageErrorsExit2 } from './management.js';
import { attachModuleCommands } from './module-commands.js';
import { serveCommand } from './serve.js';
import {
  auditExportCommand,
  auditListCommand,
  tenantsCreateCommand,
  tenantsDeleteCommand,
  tenantsGetCommand,
  tenantsListCommand,
  tenantsUpdateCommand,
  type AuditOptions,
  type TenantsUpdateOptions,
} from './tenants.js';
import { usersCreateCommand, type UsersCreateOptions } from './users.js';

const program = new Command('hellojohn')
  .description('HelloJohn: self-hosted OAuth 2.0 / OpenID Connect provider and authentication API')
  .version(VERSION, '-v, --version', 'print the version')
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

// Not commander's default command: that would start a server for any mistyped command ("too many
// arguments for 'serve'"). `hellojohn` alone still serves (see the end of this file).
program
  .command('serve')
  .description('start the server (applies pending migrations first unless MIGRATE_ON_START=false)')
  .option('--port <port>', 'listen on this port instead of PORT')
  .action((options: { port?: string }) => run(() => serveCommand(options)));

const migrateCmd = program
  .command('migrate')
  .description('apply pending database migrations; safe to run many times and from many hosts at once')
  // A command with both an action and subcommands takes a mistyped subcommand (`migrate stats`) for an
  // argument ("too many arguments"): let it through, and refuse it as commander refuses unknown commands.
  .allowExcessArguments()
  .action((_options: unknown, command: Command) =>
    command.args.length > 0 ? refuseUnknownCommand(command) : run(migrateCommand),
  );

migrateCmd
  .command('status')
  .description('list applied and pending migrations; exit 1 when any is pending, edited or unknown')
  .option('--json', 'machine-readable output')
  .action((options: { json?: boolean }) => run(() => migrateStatusCommand(options)));

const dbCmd = program.command('db').description('database operations');
dbCmd
  .command('check')
  .description(
    'database health against the monitoring thresholds; exit 0 ok, 1 any warning, 2 any critical or unreachable',
  )
  .option('--json', 'machine-readable output')
  .option('--pool', "also print this process's own connection pool statistics")
  .action((options: { json?: boolean; pool?: boolean }) => run(() => dbCheckCommand(options)));
dbCmd
  .command('sql')
  .description('run one SQL statement and print its rows (on the embedded database, stop the server first)')
  .argument('<statement>', 'the statement, or - to read it from standard input')
  .option('--json', 'machine-readable output')
  .action((statement: string, options: { json?: boolean }) => run(() => dbSqlCommand(statement, options)));

const keysCmd = program.command('keys').description('JWT signing keys of a tenant');
keysCmd
  .command('list')
  .description('list signing keys: active, and retired ones still published in the JWKS')
  .option('--tenant <slug>', 'tenant slug or id', 'default')
  .option('--json', 'machine-readable output')
  .action((options: { tenant?: string; json?: boolean }) => run(() => keysListCommand(options)));
keysCmd
  .command('rotate')
  .description('retire the active keys (kept in the JWKS for KEY_ROTATION_GRACE) and activate new ones')
  .option('--tenant <slug>', 'tenant slug or id', 'default')
  .option('--json', 'machine-readable output')
  .action((options: { tenant?: string; json?: boolean }) => run(() => keysRotateCommand(options)));

const tenantsCmd = usageErrorsExit2(
  program.command('tenants').description('tenants (issuers) of this installation'),
);
tenantsCmd
  .command('create')
  .description('create a tenant; its issuer is BASE_URL/t/SLUG')
  .requiredOption('--slug <slug>', 'lowercase letters, digits and hyphens')
  .requiredOption('--name <name>', 'display name')
  .option(
    '--settings <json>',
    'settings as JSON (docs/admin.md, Tenants); `-` reads them from standard input',
  )
  .option('--json', 'machine-readable output')
  .action((options: { slug: string; name: string; settings?: string; json?: boolean }) =>
    run(() => tenantsCreateCommand(options)),
  );
tenantsCmd
  .command('list')
  .description('list tenants')
  .option('--json', 'machine-readable output')
  .action((options: { json?: boolean }) => run(() => tenantsListCommand(options)));
tenantsCmd
  .command('get')
  .description('a tenant and its settings')
  .argument('<tenant>', 'tenant slug or id')
  .option('--json', 'machine-readable output')
  .action((tenant: string, options: { json?: boolean }) => run(() => tenantsGetCommand(tenant, options)));
tenantsCmd
  .command('update')
  .description("change a tenant's name or settings (each settings member given replaces the stored one)")
  .argument('<tenant>', 'tenant slug or id')
  .option('--name <name>', 'display name')
  .option(
    '--settings <json>',
    'settings as JSON (docs/admin.md, Tenants); `-` reads them from standard input',
  )
  .option('--sign-up <on|off>', 'whether people may create their own accounts')
  .option('--password-sign-in <on|off>', 'whether people may sign in with a password')
  .option('--json', 'machine-readable output')
  .action((tenant: string, options: TenantsUpdateOptions) =>
    run(() => tenantsUpdateCommand(tenant, options)),
  );
tenantsCmd
  .command('delete')
  .description('delete a tenant and everything of it (one with users only with --force)')
  .argument('<tenant>', 'tenant slug or id')
  .option('--force', 'also when it has users: they are deleted with it')
  .option('--json', 'machine-readable output')
  .action((tenant: string, options: { force?: boolean; json?: boolean }) =>
    run(() => tenantsDeleteCommand(tenant, options)),
  );

const auditCmd = usageErrorsExit2(program.command('audit').description("a tenant's audit log"));
const auditFilters = (command: ReturnType<typeof auditCmd.command>) =>
  command
    .option('--tenant <slug>', 'tenant slug or id', 'default')
    .option('--type <type>', 'an event type (user.login) or a prefix (user. or user.*)')
    .option('--user <id>', 'events of this user id')
    .option('--from <time>', 'from this RFC 3339 date or instant (inclusive)')
    .option('--to <time>', 'until this RFC 3339 date or instant (exclusive)')
    .option('--json', 'machine-readable output');
auditFilters(auditCmd.command('list').description('audit events, newest first, a page at a time'))
  .option('--cursor <cursor>', 'the next page (printed after a page)')
  .option('--limit <n>', 'events per page (1 to 200)', '50')
  .action((options: AuditOptions) => run(() => auditListCommand(options)));
auditFilters(
  auditCmd.command('export').description('every matching audit event as NDJSON on standard output'),
).action((options: AuditOptions) => run(() => auditExportCommand(options)));

const clientsCmd = usageErrorsExit2(
  program.command('clients').description('OAuth 2.0 / OpenID Connect clients of a tenant'),
);
clientsCmd
  .command('create')
  .description("register a client; a confidential client's secret is printed once")
  .option('--tenant <slug>', 'tenant slug or id', 'default')
  .requiredOption('--name <name>', 'display name (shown on the consent page)')
  .addOption(
    new Option('--type <type>', 'client type').choices(['public', 'confidential']).makeOptionMandatory(),
  )
  .option('--redirect-uri <uri>', 'allowed redirect URI, exact match (repeatable)', collect)
  .option('--post-logout-redirect-uri <uri>', 'allowed post-logout redirect URI (repeatable)', collect)
  .option('--grant-types <list>', `comma-separated: ${GRANT_TYPES.join(',')}`)
  .option(
    '--scopes <list>',
    'comma-separated scopes the client may request (default openid,profile,email,phone,address)',
  )
  .addOption(
    new Option(
      '--token-endpoint-auth-method <method>',
      'how the client authenticates at the token endpoint',
    ).choices(['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt']),
  )
  .addOption(
    new Option('--id-token-alg <alg>', 'ID token signing algorithm (default RS256)').choices([
      'RS256',
      'EdDSA',
      'ES256',
    ]),
  )
  .option('--first-party', 'a first-party application: skips the consent screen')
  .option('--resource-server', 'a resource server: may introspect every token of the tenant')
  .option(
    '--token-endpoint-auth-strict',
    'accept only the registered auth method (by default a secret may come by Basic or in the body)',
  )
  .option(
    '--default-acr-values <list>',
    'comma-separated acr values asked for when a request names none (e.g. urn:hellojohn:loa:2)',
  )
  .option('--client-id <id>', 'use this client_id instead of a random one')
  .option('--json', 'machine-readable output')
  .action((options: ClientsCreateOptions) => run(() => clientsCreateCommand(options)));
clientsCmd
  .command('list')
  .description('list the clients of a tenant')
  .option('--tenant <slug>', 'tenant slug or id', 'default')
  .option('--json', 'machine-readable output')
  .action((options: { tenant: string; json?: boolean }) => run(() => clientsListCommand(options)));
clientsCmd
  .command('update')
  .description("change a client's settings")
  .argument('<client_id>', 'the client')
  .option('--tenant <slug>', 'tenant slug or id', 'default')
  .addOption(
    new Option('--resource-server <bool>', 'may introspect every token of the tenant').choices([
      'true',
      'false',
    ]),
  )
  .addOption(
    new Option(
      '--token-endpoint-auth-strict <bool>',
      'accept only the registered token endpoint auth method',
    ).choices(['true', 'false']),
  )
  .option(
    '--default-acr-values <list>',
    'comma-separated acr values asked for when a request names none; "" clears them',
  )
  .option('--json', 'machine-readable output')
  .action((clientId: string, options: ClientsUpdateOptions) =>
    run(() => clientsUpdateCommand(clientId, options)),
  );
clientsCmd
  .command('rotate-secret')
  .description('replace the secret of a confidential client (printed once); the old one stops working')
  .argument('<client_id>', 'the client')
  .option('--tenant <slug>', 'tenant slug or id', 'default')
  .option('--json', 'machine-readable output')
  .action((clientId: string, options: { tenant: string; json?: boolean }) =>
    run(() => clientsRotateSecretCommand(clientId, options)),
  );
clientsCmd
  .command('delete')
  .description('delete a client and everything issued to it (sessions, tokens, consents)')
  .argument('<client_id>', 'the client')
  .option('--tenant <slug>', 'tenant slug or id', 'default')
  .option('--json', 'machine-readable output')
  .action((clientId: string, options: { tenant: string; json?: boolean }) =>
    run(() => clientsDeleteCommand(clientId, options)),
  );

const usersCmd = usageErrorsExit2(program.command('users').description('user accounts of a tenant'));
usersCmd
  .command('create')
  .description('create a user (email and password checked like registration; no email is sent)')
  .option('--tenant <slug>', 'tenant slug or id', 'default')
  .requiredOption('--email <email>', 'email address')
  .requiredOption('--password <password>', 'password; `-` reads it from standard input')
  .option('--name <name>', 'display name')
  .option('--verified', 'mark the email address as verified')
  .option('--json', 'machine-readable output')
  .action((options: UsersCreateOptions) => run(() => usersCreateCommand(options)));

// The feature modules' commands join the core's groups, or groups of their own, after the core's commands.
attachModuleCommands(program, { tenants: tenantsCmd, clients: clientsCmd, users: usersCmd }, featureModules);

const adminCmd = usageErrorsExit2(
  program.command('admin').description('operators of this installation and their admin API keys'),
);
adminCmd
  .command('create')
  .description(
    'create an admin (or reuse the one with this email) and a new admin API key, printed once; with ' +
      "--console, also the admin's sign-in to the admin console",
  )
  .argument('[email]', 'email address of the admin (or --email)')
  .option('--email <email>', 'email address of the admin')
  .option(
    '--console',
    "also make the admin's console account (password asked on a terminal, else read from standard input)",
  )
  .option('--name <name>', 'a label for the key', 'cli')
  .addOption(
    new Option('--scope <scope>', 'what the key may do: everything, read only, or one tenant')
      .choices(ADMIN_KEY_SCOPES)
      .default('admin'),
  )
  .option('--tenant <slug>', 'the tenant of a --scope tenant key')
  .option('--expires-in <duration>', 'the key stops working after this long (90d, 12h); default: never')
  .option('--json', 'machine-readable output')
  .action((email: string | undefined, options: Omit<AdminCreateOptions, 'email'> & { email?: string }) =>
    run(() => {
      if ((email === undefined) === (options.email === undefined))
        throw new CliError('give the email address once: as the argument or with --email', 2);
      return adminCreateCommand({ ...options, email: (email ?? options.email)! });
    }),
  );
adminCmd
  .command('list-tokens')
  .description('list the admin API keys that are not revoked (never the keys themselves)')
  .option('--json', 'machine-readable output')
  .action((options: { json?: boolean }) => run(() => adminListTokensCommand(options)));
adminCmd
  .command('revoke-token')
  .description('revoke an admin API key by its id')
  .argument('<token_id>', 'the key id printed by `admin create` or `admin list-tokens`')
  .option('--json', 'machine-readable output')
  .action((tokenId: string, options: { json?: boolean }) =>
    run(() => adminRevokeTokenCommand(tokenId, options)),
  );

program
  .command('version')
  .description('print the version')
  .action(() => {
    process.stdout.write(`hellojohn ${VERSION}\n`);
  });

// Without arguments, serve; anything else must name a command, so a typo gets "unknown command 'foo'"
// and commander's "Did you mean …?" instead of a server.
// Subcommands copied the full help-after-error above; at the top level a hint keeps the suggestion in view.
program.showHelpAfterError("(run 'hellojohn --help' for the list of commands)");
const args = process.argv.slice(2);
await program.parseAsync(args.length === 0 ? ['serve'] : args, { from: 'user' });
