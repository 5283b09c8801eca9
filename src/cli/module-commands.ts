// The commands feature modules add (FeatureModule.commands), under the core's groups or the modules' own
// (FeatureModule.commandGroups): declared from the modules' lists, run with the handlers their setup returned (ModuleParts.commands) on the services the
// composition root builds, as every management command is.
import { Option, type Command } from 'commander';
import { HelloJohnError } from '../errors.js';
import type { CommandGroup, FeatureModule, ModuleCommand } from '../kernel/module.js';
import { CliError, run } from './context.js';
import { printJson, resolveTenant, usageErrorsExit2, withServices } from './management.js';

export function attachModuleCommands(
  program: Command,
  coreGroups: Readonly<Record<CommandGroup, Command>>,
  modules: readonly FeatureModule[],
): void {
  const groups = new Map(Object.entries(coreGroups));
  for (const module of modules) {
    for (const { name, description } of module.commandGroups ?? []) {
      if (groups.has(name) || program.commands.some((c) => c.name() === name))
        throw new Error(`Module ${module.id}: the command group "${name}" exists already.`);
      groups.set(name, usageErrorsExit2(program.command(name).description(description)));
    }
  }
  for (const module of modules) {
    for (const spec of module.commands ?? []) {
      const group = groups.get(spec.group);
      if (!group) throw new Error(`Module ${module.id}: no command group "${spec.group}".`);
      const options = (spec.options ?? []).map((o) => {
        const option = new Option(o.flags, o.description);
        return o.choices ? option.choices(o.choices) : option;
      });
      const command = group
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
