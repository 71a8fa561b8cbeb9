import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PackageFileError } from './errors';
import { isJsonObject, type JsonObject } from './json-schema';

/** The four files of a universe package directory (packagingVersion 4.0). */
export const PACKAGE_FILES = {
  package: 'package.json',
  config: 'config.json',
  template: 'marathon.json.mustache',
  resource: 'resource.json',
} as const;

/** The fields of package.json this module relies on; the full shape is universe's package-schema. */
const packageMetaSchema = z.looseObject({
  packagingVersion: z.literal('4.0', { error: 'expected packagingVersion "4.0"' }),
  name: z.string({ error: 'expected the package name (a string)' }).regex(/^[a-z][a-z0-9-]*[a-z0-9]$/, {
    error: 'expected a package name of lower-case letters, digits and -',
  }),
  version: z.string({ error: 'expected the package version (a string)' }).regex(/^[-a-zA-Z0-9.]+$/, {
    error: 'expected a package version of letters, digits, - and .',
  }),
});

export type PackageMeta = z.output<typeof packageMetaSchema>;

export interface UniversePackage {
  dir: string;
  meta: PackageMeta;
  /** config.json: the JSON Schema of the install options. */
  config: JsonObject;
  /** resource.json: assets (images, URIs) the template may reference as `resource.…`. */
  resource: JsonObject;
  /** marathon.json.mustache, as text. */
  template: string;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new PackageFileError(path, `cannot read it: ${(err as Error).message}`, { cause: err });
  }
}

async function readJsonObject(path: string): Promise<JsonObject> {
  const text = await readText(path);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PackageFileError(path, `not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isJsonObject(value)) throw new PackageFileError(path, 'expected a JSON object');
  return value;
}

/** Read and check a package directory (`deploy/universe/packages/<name>/`). */
export async function loadPackage(dir: string): Promise<UniversePackage> {
  z.string({ error: 'expected a package directory path' }).min(1, { error: 'expected a package directory path' }).parse(dir);
  const packagePath = join(dir, PACKAGE_FILES.package);
  const [raw, config, resource, template] = await Promise.all([
    readJsonObject(packagePath),
    readJsonObject(join(dir, PACKAGE_FILES.config)),
    readJsonObject(join(dir, PACKAGE_FILES.resource)),
    readText(join(dir, PACKAGE_FILES.template)),
  ]);
  const parsed = packageMetaSchema.safeParse(raw);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new PackageFileError(packagePath, reason);
  }
  return { dir, meta: parsed.data, config, resource, template };
}
