// The `hellojohn` command.
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { run } from './context.js';
import { dbCheckCommand } from './db-check.js';
import { keysListCommand, keysRotateCommand } from './keys.js';
import { migrateCommand, migrateStatusCommand } from './migrate.js';
import { serveCommand } from './serve.js';

const program = new Command('hellojohn')
  .description('HelloJohn: self-hosted OAuth 2.0 / OpenID Connect provider and authentication API')
  .version(VERSION, '-v, --version', 'print the version')
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program
  .command('serve', { isDefault: true })
  .description('start the server (applies pending migrations first unless MIGRATE_ON_START=false)')
  .action(() => run(serveCommand));

const migrateCmd = program
  .command('migrate')
  .description('apply pending database migrations; safe to run many times and from many hosts at once')
  .action(() => run(migrateCommand));

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

program
  .command('version')
  .description('print the version')
  .action(() => {
    process.stdout.write(`hellojohn ${VERSION}\n`);
  });

await program.parseAsync(process.argv);
