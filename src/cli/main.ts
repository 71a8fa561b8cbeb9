import { Command, CommanderError } from 'commander';
import { describeError } from '../errors';
import { registerSimMesos } from './sim-mesos.command';
import { registerSimPortworx } from './sim-portworx.command';
import { registerAlertBridge } from './alert-bridge.command';
import { registerRun } from './run.command';
import { registerSandbox } from './sandbox.command';
import { registerService, usageErrorJson } from './service.command';
import { registerPackage } from './package.command';
import { registerServices } from './services.command';

/** Top-level verbs; any other first word names a service (`pxfw <service> …`). */
const TOP_LEVEL = new Set(['sandbox', 'run', 'alert-bridge', 'sim', 'package', 'services', 'help', '--help', '-h', '--version', '-V']);

export function buildProgram(): Command {
  const program = new Command('pxfw')
    .description('Stateful services on Mesos / DC/OS with their data on Portworx volumes')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerSandbox(program);
  registerRun(program);
  registerAlertBridge(program);
  registerPackage(program);
  registerServices(program);
  const sim = program.command('sim').description('simulators that speak the real Mesos and Portworx wire protocols');
  registerSimMesos(sim);
  registerSimPortworx(sim);
  program.addHelpText(
    'after',
    '\nService commands (over NATS):\n  pxfw services  lists the schedulers answering\n  pxfw <service> plan|update|pod|scale|snapshot|config|uninstall|reinstall|status|endpoints|debug …  (pxfw <service> --help)\n',
  );
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  const first = args[0];
  try {
    if (first !== undefined && !TOP_LEVEL.has(first) && !first.startsWith('-')) {
      const svc = new Command('pxfw').exitOverride();
      registerService(svc, first);
      try {
        await svc.parseAsync(args.slice(1), { from: 'user' });
      } catch (err) {
        if (err instanceof CommanderError) usageErrorJson(err, args, { out: process.stdout });
        throw err;
      }
      return;
    }
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`pxfw: ${describeError(err)}\n`);
    process.exitCode = 1;
  }
}
