// The commands feature modules add (FeatureModule.commands), under the core's groups: declared from the
// modules' lists, run with the handlers their setup returned (ModuleParts.commands) on the services the
// composition root builds, as every management command is.
import { Option, type Command } from 'commander';
import { HelloJohnError } from '../errors.js';
import type { CommandGroup, FeatureModule, ModuleCommand } from '../kernel/module.js';
import { CliError, run } from './context.js';
import { printJson, resolveTenant, withServices } from './management.js';

export function attachModuleCommands(
  groups: Readonly<Record<CommandGroup, Command>>,
  modules: readonly FeatureModule[],
): void {
  for (const module of modules) {
    for (const spec of module.commands ?? []) {
      const options = (spec.options ?? []).map((o) => {
        const option = new Option(o.flags, o.description);
        return o.choices ? option.choices(o.choices) : option;
      });
      const command = groups[spec.group]
        .command(spec.name)
        .description(spec.description)
        .option('--tenant <slug>', 'tenant slug or id', 'default');
      for (const option of options) command.addOption(option);
      command
        .option('--json', 'machine-readable output')
        .action((given: Record<string, string | true | undefined> & { tenant: string; json?: true }) => {
          // By flag name, as the contract says (commander keys them in camelCase).
          const values: Record<string, string | true> = {};
          for (const option of options) {
            const value = given[option.attributeName()];
            if (value !== undefined) values[option.name()] = value;
          }
          return run(() => runModuleCommand(module, spec, given.tenant, values, given.json === true));
        });
    }
  }
}

function runModuleCommand(
  module: FeatureModule,
  spec: ModuleCommand,
  tenantSlug: string,
  values: Record<string, string | true>,
  json: boolean,
): Promise<number> {
  const key = `${spec.group} ${spec.name}`;
  return withServices(async (services) => {
    const handler = services.modules.find((m) => m.module === module)?.parts.commands?.[key];
    if (!handler)
      throw new Error(`the ${module.id} module declares \`${key}\` but its setup gives no handler`);
    const tenant = await resolveTenant(services, tenantSlug);
    const output = await handler(tenant, values).catch((error: unknown) => {
      throw error instanceof HelloJohnError && error.code === 'invalid_request'
        ? new CliError(error.message, 2)
        : error;
    });
    if (json) printJson(output.json);
    else process.stdout.write(`${output.text}\n`);
    return 0;
  });
}
