import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { PxfwError } from '../errors';
import { deepMerge, loadPackage, renderTemplate, resolveOptions, type JsonObject } from '../packaging';
import { checkRenderedSpec } from '../packaging/render';
import { parseSpec, type ServiceSpec } from '../service-spec';

/**
 * `pxfw <service> update start --options FILE`, as `dcos <service> update start --options FILE`:
 * FILE is the package options JSON a DC/OS user installed with (rendered here into the service spec
 * by the package's own template, exactly as `dcos package install` would), or a whole spec YAML.
 */

/** The rendered spec records the options it came from, so the next update merges over them (as Cosmos does). */
export const OPTIONS_MARKER = '# pxfw-package-options: ';

/** FILE could not be used for an update: not options JSON, not a spec, or no way to render it. */
export class UpdateOptionsError extends PxfwError {
  readonly code = 'UPDATE_OPTIONS_INVALID';
  readonly retryable = false;
}

export type UpdateInput = { kind: 'spec'; yaml: string } | { kind: 'options'; options: JsonObject };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON object is package options unless it is a spec (it has `pods`); YAML with `pods` is a spec. */
export function classifyUpdateFile(text: string, file: string): UpdateInput {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (isObject(json)) return 'pods' in json ? { kind: 'spec', yaml: text } : { kind: 'options', options: json };
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new UpdateOptionsError(`${file} is neither package options (JSON) nor a service spec (YAML): ${(cause as Error).message}`, { cause });
  }
  if (isObject(doc) && 'pods' in doc) return { kind: 'spec', yaml: text };
  throw new UpdateOptionsError(`${file} is neither package options (a JSON object such as {"node": {"count": 5}}) nor a service spec (YAML with pods:)`);
}

export interface RecordedOptions {
  package: string;
  options: JsonObject;
}

/** The options (and package) the current spec was rendered from by a previous `update start --options`. */
export function recordedOptions(yaml: string): RecordedOptions | undefined {
  const line = yaml.split('\n').find((l) => l.startsWith(OPTIONS_MARKER));
  if (!line) return undefined;
  try {
    const parsed = JSON.parse(line.slice(OPTIONS_MARKER.length)) as unknown;
    if (isObject(parsed) && typeof parsed.package === 'string' && isObject(parsed.options)) return { package: parsed.package, options: parsed.options };
  } catch {
    // A hand-edited marker: treated as none (the caller then asks for --replace).
  }
  return undefined;
}

/** The package a packaged spec came from: its first comment says `(source: cassandra.yml)` → `pxfw-cassandra`. */
export function packageOfSpec(yaml: string): string | undefined {
  const m = /^# .*\(source: ([a-z0-9-]+)\.ya?ml\)/m.exec(yaml);
  return m ? `pxfw-${m[1]}` : undefined;
}

/** Where this pxfw's packages are (`pxfw package generate` writes them there); PXFW_PACKAGES_DIR overrides. */
export function defaultPackagesDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PXFW_PACKAGES_DIR ?? fileURLToPath(new URL('../../deploy/universe/packages', import.meta.url));
}

/** `--package` is a package directory, or a package name (`pxfw-cassandra` or `cassandra`) under the packages directory. */
export function packageDir(ref: string, packagesDir: string): string {
  for (const dir of [ref, join(packagesDir, ref), join(packagesDir, `pxfw-${ref}`)]) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new UpdateOptionsError(`no package '${ref}' (a package directory, or a name under ${packagesDir}, e.g. pxfw-cassandra)`);
}

export interface RenderUpdateInput {
  service: string;
  /** The target spec's YAML (config show): the options and package it recorded. */
  currentYaml: string;
  options: JsonObject;
  /** --package; default the one the current spec records or names as its source. */
  packageRef?: string;
  /** --replace: the options given are all of them (no merge over the recorded ones). */
  replace: boolean;
  packagesDir: string;
}

/**
 * What the options were merged over: the ones recorded by the last `update start --options`, the
 * package defaults (nothing recorded: as Cosmos renders an install without options), or nothing
 * (`--replace`: the file is all of them, the rest take the package defaults).
 */
export type UpdateBase = 'recorded' | 'defaults' | 'replace';

export interface RenderedUpdate {
  yaml: string;
  package: string;
  /** The options the spec was rendered from (recorded in it for the next update). */
  options: JsonObject;
  merged: boolean;
  base: UpdateBase;
  /** What the rendered spec changes in the running one, `path: before → after` (at most CHANGES_SHOWN, then a count); null: not known. */
  changes: string[] | null;
}

/** Changes listed by `specChanges` before the rest is counted. */
export const CHANGES_SHOWN = 12;

function leaves(value: unknown, path: string, out: Map<string, string>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, '[]');
    value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  } else if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0 && path) out.set(path, '{}');
    for (const k of keys) leaves(value[k], path ? `${path}.${k}` : k, out);
  } else {
    out.set(path, JSON.stringify(value) ?? 'null');
  }
}

/** The fields (of the parsed specs: defaults filled in) whose values differ, `path: before → after`; null when either does not parse. */
export function specChanges(beforeYaml: string, afterYaml: string): string[] | null {
  let before: ServiceSpec;
  let after: ServiceSpec;
  try {
    before = parseSpec(beforeYaml, 'the running spec');
    after = parseSpec(afterYaml, 'the rendered spec');
  } catch {
    return null;
  }
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  leaves(before, '', a);
  leaves(after, '', b);
  const out: string[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(path);
    const y = b.get(path);
    if (x !== y) out.push(`${path}: ${x ?? '(none)'} → ${y ?? '(none)'}`);
  }
  return out.length > CHANGES_SHOWN ? [...out.slice(0, CHANGES_SHOWN), `… and ${out.length - CHANGES_SHOWN} more`] : out;
}

function serviceNameOf(options: JsonObject): unknown {
  return isObject(options.service) ? options.service.name : undefined;
}

/**
 * Merge the options as Cosmos does (`dcos <service> update start --options`: over the options of the
 * install or last update), render the package template, check the spec. With nothing recorded (a
 * service run from a spec, or installed before options were recorded) the base is the package
 * defaults, as Cosmos renders an install made without options; `changes` then shows what that
 * changes beyond the file, before anything is sent.
 */
export async function renderUpdateSpec(input: RenderUpdateInput): Promise<RenderedUpdate> {
  const recorded = recordedOptions(input.currentYaml);
  const ref = input.packageRef ?? recorded?.package ?? packageOfSpec(input.currentYaml);
  if (!ref) throw new UpdateOptionsError(`cannot tell which package ${input.service} was installed from: pass --package (e.g. --package pxfw-cassandra)`);
  const named = serviceNameOf(input.options);
  if (named !== undefined && named !== input.service) {
    throw new UpdateOptionsError(`service.name is '${String(named)}' but this is ${input.service}: an update cannot rename a service`);
  }
  const given = deepMerge(input.replace || !recorded ? {} : recorded.options, input.options);
  const options = deepMerge(given, { service: { name: input.service } });
  const pkg = await loadPackage(packageDir(ref, input.packagesDir));
  const app = renderTemplate(pkg, resolveOptions(pkg, options));
  checkRenderedSpec(pkg, app);
  const spec = (app.env as JsonObject).PXFW_SPEC_YAML as string;
  const marker = `${OPTIONS_MARKER}${JSON.stringify({ package: pkg.meta.name, options })}`;
  const base: UpdateBase = input.replace ? 'replace' : recorded ? 'recorded' : 'defaults';
  const yaml = `${marker}\n${spec}`;
  return { yaml, package: pkg.meta.name, options, merged: base === 'recorded', base, changes: specChanges(input.currentYaml, yaml) };
}
