import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { childLogger } from '../log/logger';
import { ValidationError } from '../errors';
import { PackageFileError } from './errors';
import type { JsonObject } from './json-schema';
import { loadPackage, PACKAGE_FILES } from './package-dir';

const log = childLogger({ module: 'packaging' });

/** The media type `dcos package repo add` expects when it fetches a v4 repository over HTTP. */
export const UNIVERSE_REPO_V4_MEDIA_TYPE = 'application/vnd.dcos.universe.repo+json;charset=utf-8;version=v4';

const repoOptionsSchema = z.strictObject({
  version: z
    .string({ error: 'version: expected the package version to publish, e.g. "0.1.0"' })
    .regex(/^[-a-zA-Z0-9.]+$/, { error: 'version: expected letters, digits, - and . (a universe package version)' }),
  releaseVersion: z
    .number({ error: 'releaseVersion: expected a whole number >= 0' })
    .int({ error: 'releaseVersion: expected a whole number >= 0' })
    .min(0, { error: 'releaseVersion: expected a whole number >= 0' })
    .default(0),
});

export type UniverseRepoOptions = z.input<typeof repoOptionsSchema>;

export interface UniverseRepo {
  packages: JsonObject[];
}

/** One repository entry: package.json plus its config, resource and base64 template. */
async function repoEntry(dir: string, version: string, releaseVersion: number): Promise<JsonObject> {
  const pkg = await loadPackage(dir);
  return {
    ...pkg.meta,
    version,
    releaseVersion,
    marathon: { v2AppMustacheTemplate: Buffer.from(pkg.template, 'utf8').toString('base64') },
    config: pkg.config,
    resource: pkg.resource,
  };
}

/**
 * Build the v4 universe repository file from every package directory under `packagesDir`
 * (each holding package.json, config.json, marathon.json.mustache, resource.json). Every package
 * is published at `version` with `releaseVersion`; packages come sorted by name.
 */
export async function buildUniverseRepo(packagesDir: string, options: UniverseRepoOptions): Promise<UniverseRepo> {
  const parsed = repoOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ValidationError(`bad repository options: ${issues.map((i) => i.message).join('; ')}`, issues);
  }
  const opts = parsed.data;
  let entries;
  try {
    entries = await readdir(packagesDir, { withFileTypes: true });
  } catch (err) {
    throw new PackageFileError(packagesDir, `cannot list packages: ${(err as Error).message}`, { cause: err });
  }
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (dirs.length === 0) throw new PackageFileError(packagesDir, `no package directories (each needs ${PACKAGE_FILES.package} and friends)`);
  const packages = await Promise.all(dirs.map((d) => repoEntry(join(packagesDir, d), opts.version, opts.releaseVersion)));
  log.debug({ packagesDir, version: opts.version, packages: packages.map((p) => p.name) }, 'universe repository built');
  return { packages };
}
