import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { isMap, isNode, parseDocument } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../errors';
import { childLogger } from '../log/logger';
import { parseSpec, type ServiceSpec } from '../service-spec';
import { buildConfigSchema } from './config-schema';
import { PackageFileError, PackageGenerateError } from './errors';
import type { JsonObject } from './json-schema';
import { marathonTemplate, SCHEDULER_IMAGE_ALIAS } from './marathon-template';
import { checkSpecFitsPackage } from './options-model';
import { PACKAGE_FILES } from './package-dir';
import { fillSlots, NETWORK_SECTION, protectLaunchTags, templateSpec } from './spec-template';

const log = childLogger({ module: 'packaging' });

/** Universe packages are named `pxfw-<spec name>`. */
export const PACKAGE_NAME_PREFIX = 'pxfw-';

const metadataSchema = z.strictObject({
  version: z.string().regex(/^[-a-zA-Z0-9.]+$/, { error: 'version: expected letters, digits, - and .' }),
  image: z.string().regex(/^[^\s"\\]+$/, { error: 'image: expected a container image reference such as pxfw/pxfw:0.1.0' }),
  maintainer: z.string().min(1).default('pxfw maintainers'),
  website: z.string().min(1).optional(),
});

export type PackageMetadata = z.input<typeof metadataSchema>;

export interface GeneratedPackage {
  /** Package name, e.g. `pxfw-cassandra`; also its directory name. */
  name: string;
  /** File name → contents, for the four files of PACKAGE_FILES. */
  files: Record<string, string>;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The spec file's leading comment, used as the package description. */
function headline(specText: string): string | undefined {
  const doc = parseDocument(specText);
  // A comment right above the first key belongs to that key, not to the document.
  const first = isMap(doc.contents) ? doc.contents.items[0]?.key : undefined;
  const keyComment = isNode(first) ? first.commentBefore : undefined;
  const comment = (doc.commentBefore ?? keyComment)?.split('\n')[0]?.trim();
  return comment ? comment : undefined;
}

function packageJson(spec: ServiceSpec, specText: string, meta: z.output<typeof metadataSchema>): JsonObject {
  const pods = Object.values(spec.pods).map((p) => `${p.type}×${p.count}`).join(', ');
  const summary = headline(specText) ?? `${spec.name} with pods ${pods}.`;
  const out: JsonObject = {
    packagingVersion: '4.0',
    name: `${PACKAGE_NAME_PREFIX}${spec.name}`,
    version: meta.version,
    maintainer: meta.maintainer,
    description: `${summary} Run on Mesos with its data on Portworx volumes by the pxfw scheduler.`,
    framework: true,
    tags: ['pxfw', 'portworx', spec.name, 'stateful'],
    licenses: [{ name: 'Apache License Version 2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' }],
    upgradesFrom: ['*'],
    minDcosReleaseVersion: '1.11',
    preInstallNotes:
      'pxfw needs Portworx on the agents that run this service and a NATS server with JetStream (option nats.url). Check the defaults of portworx.url and nats.url before installing.',
    postInstallNotes: `The scheduler deploys the service now. Follow it with: pxfw <service name> plan status deploy (default service name: ${spec.name}).`,
    postUninstallNotes:
      'Removing the package only removed the scheduler app. If you did not run pxfw <service name> uninstall --yes first, reinstall with the same service name and run it, or pods and volumes stay behind.',
  };
  if (meta.website) out.website = meta.website;
  return out;
}

/**
 * The four files of the universe package for one framework spec: package.json, config.json
 * (options with the spec's values as defaults), marathon.json.mustache (the scheduler app, with
 * the spec embedded as PXFW_SPEC_YAML) and resource.json (the scheduler image).
 */
export function generatePackage(specText: string, source: string, metadata: PackageMetadata): GeneratedPackage {
  const parsedMeta = metadataSchema.safeParse(metadata);
  if (!parsedMeta.success) {
    const issues = parsedMeta.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ValidationError(`bad package metadata: ${issues.map((i) => i.message).join('; ')}`, issues);
  }
  const meta = parsedMeta.data;
  const spec = parseSpec(specText, source);
  checkSpecFitsPackage(spec, source);
  const template = templateSpec(specText, spec, source);
  // Launch templates pass through Cosmos as text; option tags (added after) are what Cosmos fills.
  const yaml = `${protectLaunchTags(template.yaml)}${NETWORK_SECTION}`;
  const specJson = fillSlots(JSON.stringify(yaml), template.slots, source);
  const pkg = packageJson(spec, specText, meta);
  const files: Record<string, string> = {
    [PACKAGE_FILES.package]: json(pkg),
    [PACKAGE_FILES.config]: json(buildConfigSchema(spec, meta.image)),
    [PACKAGE_FILES.template]: marathonTemplate(specJson),
    [PACKAGE_FILES.resource]: json({ assets: { container: { docker: { [SCHEDULER_IMAGE_ALIAS]: meta.image } } } }),
  };
  return { name: String(pkg.name), files };
}

/** One package per `*.yml` / `*.yaml` spec in `frameworksDir`, sorted by file name. */
export async function generatePackages(frameworksDir: string, metadata: PackageMetadata): Promise<GeneratedPackage[]> {
  let names: string[];
  try {
    names = (await readdir(frameworksDir)).filter((n) => ['.yml', '.yaml'].includes(extname(n))).sort();
  } catch (err) {
    throw new PackageFileError(frameworksDir, `cannot list framework specs: ${(err as Error).message}`, { cause: err });
  }
  if (names.length === 0) throw new PackageGenerateError(frameworksDir, 'no *.yml framework specs found');
  const out: GeneratedPackage[] = [];
  for (const name of names) {
    const text = await readFile(join(frameworksDir, name), 'utf8');
    out.push(generatePackage(text, basename(name), metadata));
  }
  return out;
}

/** Write packages as `<outDir>/<package name>/<file>`; returns the package directories. */
export async function writePackages(outDir: string, packages: readonly GeneratedPackage[]): Promise<string[]> {
  const dirs: string[] = [];
  for (const pkg of packages) {
    const dir = join(outDir, pkg.name);
    await mkdir(dir, { recursive: true });
    for (const [file, text] of Object.entries(pkg.files)) await writeFile(join(dir, file), text);
    dirs.push(dir);
  }
  log.debug({ outDir, packages: packages.map((p) => p.name) }, 'universe packages written');
  return dirs;
}
