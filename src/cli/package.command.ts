import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { ValidationError } from '../errors';
import { buildUniverseRepo, generatePackages, renderMarathonApp, writePackages } from '../packaging';

/** The version of this checkout (package.json), the default version of packages and image tag. */
function ownVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new ValidationError('package.json of pxfw has no version', [{ path: 'version', message: 'missing' }]);
  return pkg.version;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
}

async function readOptionsFile(path: string | undefined): Promise<unknown> {
  if (!path) return {};
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ValidationError(`--options ${path}: not valid JSON: ${(cause as Error).message}`, [{ path: 'options', message: 'not JSON' }], { cause });
  }
}

async function emit(text: string, out: string | undefined, what: string): Promise<void> {
  if (!out) {
    process.stdout.write(text);
    return;
  }
  await writeFile(out, text);
  process.stderr.write(`wrote ${what} to ${out}\n`);
}

/** `pxfw package generate | render | repo`: build and inspect the DC/OS universe packages. */
export function registerPackage(program: Command): void {
  const pkg = program.command('package').description('DC/OS universe packages of the shipped frameworks (see docs/install.md)');
  pkg
    .command('generate')
    .description('write one universe package per framework spec')
    .option('--frameworks <DIR>', 'framework specs', 'deploy/frameworks')
    .option('--out <DIR>', 'package directories are written here', 'deploy/universe/packages')
    .option('--version <V>', 'package version (default: this pxfw version)')
    .option('--image <IMAGE>', 'scheduler container image (default: pxfw/pxfw:<version>)')
    .option('--json', 'print the written directories as JSON')
    .action(async (flags: { frameworks: string; out: string; version?: string; image?: string; json?: boolean }) => {
      const version = flags.version ?? ownVersion();
      const packages = await generatePackages(flags.frameworks, { version, image: flags.image ?? `pxfw/pxfw:${version}` });
      const dirs = await writePackages(flags.out, packages);
      process.stdout.write(flags.json ? `${JSON.stringify(dirs)}\n` : `${dirs.map((d) => `wrote ${d}`).join('\n')}\n`);
    });
  pkg
    .command('render <PACKAGE_DIR>')
    .description('print the Marathon app `dcos package install --options FILE` would create')
    .option('--options <FILE>', 'install options (JSON), merged over the defaults of config.json')
    .option('--out <FILE>', 'write the app here instead of standard output')
    .action(async (dir: string, flags: { options?: string; out?: string }) => {
      const app = await renderMarathonApp(dir, await readOptionsFile(flags.options));
      await emit(`${JSON.stringify(app, null, 2)}\n`, flags.out, 'the Marathon app');
    });
  pkg
    .command('repo')
    .description('build the v4 universe repository file that `dcos package repo add` reads')
    .option('--packages <DIR>', 'package directories', 'deploy/universe/packages')
    .option('--version <V>', 'version to publish every package at (default: this pxfw version)')
    .option('--release <N>', 'releaseVersion of every package', nonNegativeInt, 0)
    .option('--out <FILE>', 'write the repository here instead of standard output')
    .action(async (flags: { packages: string; version?: string; release: number; out?: string }) => {
      const repo = await buildUniverseRepo(flags.packages, { version: flags.version ?? ownVersion(), releaseVersion: flags.release });
      await emit(`${JSON.stringify(repo, null, 2)}\n`, flags.out, 'the universe repository');
    });
}
