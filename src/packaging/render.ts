import Mustache from 'mustache';
import { z } from 'zod';
import { childLogger } from '../log/logger';
import { PackageOptionsError, TemplateRenderError } from './errors';
import { ajvIssues, createDraft04Ajv, deepMerge, defaultsFromSchema, isJsonObject, type JsonObject } from './json-schema';
import { loadPackage, type UniversePackage } from './package-dir';
import { parseSpec, ServiceSpecError } from '../service-spec';

const log = childLogger({ module: 'packaging' });

const optionsSchema = z.record(z.string(), z.unknown(), {
  error: 'install options must be a JSON object such as {"service": {"name": "cassandra"}}',
});

/**
 * Cosmos hands strings to mustache JSON-encoded (without the outer quotes) and does not
 * HTML-escape, so a value lands safely inside a JSON string of the template. Do the same so a
 * template renders here exactly as `dcos package install` renders it.
 */
function jsonEncodeStrings(value: unknown): unknown {
  if (typeof value === 'string') return JSON.stringify(value).slice(1, -1);
  if (Array.isArray(value)) return value.map(jsonEncodeStrings);
  if (isJsonObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonEncodeStrings(v)]));
  return value;
}

/**
 * The options a package is installed with: config.json defaults deep-merged with the user's
 * options, validated against config.json. Throws PackageOptionsError naming every bad field.
 */
export function resolveOptions(pkg: UniversePackage, userOptions: unknown = {}): JsonObject {
  const parsed = optionsSchema.safeParse(userOptions);
  if (!parsed.success) throw new PackageOptionsError(pkg.meta.name, [{ path: '', message: parsed.error.issues[0]?.message ?? 'expected an object' }]);
  const merged = deepMerge(defaultsFromSchema(pkg.config), parsed.data);
  const validate = createDraft04Ajv().compile(pkg.config);
  if (!validate(merged)) throw new PackageOptionsError(pkg.meta.name, ajvIssues(validate.errors));
  return merged;
}

/** Render a template with resolved options; `resource` is in scope as Cosmos puts it there. */
export function renderTemplate(pkg: UniversePackage, options: JsonObject): JsonObject {
  const view = jsonEncodeStrings(deepMerge(options, { resource: pkg.resource }));
  let text: string;
  try {
    text = Mustache.render(pkg.template, view, {}, { escape: (s: string) => s });
  } catch (err) {
    throw new TemplateRenderError(pkg.meta.name, `is not a valid mustache template: ${(err as Error).message}`, { cause: err });
  }
  let app: unknown;
  try {
    app = JSON.parse(text);
  } catch (err) {
    throw new TemplateRenderError(pkg.meta.name, `did not render to valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isJsonObject(app)) throw new TemplateRenderError(pkg.meta.name, 'must render to a JSON object (a Marathon app)');
  return app;
}

/**
 * The option that set a field of the rendered spec (`pods.node.placement[0][1]` → `node.placement`),
 * so a refusal names what the operator wrote; fields no option sets keep their spec path.
 */
function optionPath(specPath: string): string {
  if (specPath === 'name') return 'service.name';
  const pod = /^pods\.([^.[]+)\.(count|cpus|mem|placement|max_unavailable)\b/.exec(specPath);
  if (pod) return `${pod[1]}.${pod[2]}`;
  const vol = /^pods\.([^.[]+)\.volumes\[\d+\]\.(size|repl|io_profile|priority|fs|encryption_secret)\b/.exec(specPath);
  if (vol) return `${vol[1]}.volume_${vol[2]} (spec ${specPath})`;
  const env = /^pods\.([^.[]+)\.env\.([A-Za-z0-9_]+)$/.exec(specPath);
  if (env) return `${env[1]}.${env[2]!.toLowerCase()} (spec ${specPath})`;
  if (specPath === 'network' || specPath.startsWith('network.')) return 'service.virtual_network_plugin_labels';
  const top = /^(failure_policy|convergence|volume_policy)(\.[a-z_]+)*/.exec(specPath);
  if (top) return top[0];
  return `spec ${specPath}`;
}

/**
 * The spec the scheduler will run, parsed exactly as `pxfw run` parses it: an option that passes
 * config.json's schema but makes a spec `pxfw run` rejects (a placement `hostname:BOGUS`, `rack:MAX_PER`
 * without its number) fails here, at render time, naming the option, instead of crash-looping the
 * scheduler after install.
 */
export function checkRenderedSpec(pkg: UniversePackage, app: JsonObject): void {
  const env = isJsonObject(app.env) ? app.env : {};
  const yaml = env.PXFW_SPEC_YAML;
  if (typeof yaml !== 'string') throw new TemplateRenderError(pkg.meta.name, 'renders no env.PXFW_SPEC_YAML (the spec the scheduler runs)');
  try {
    parseSpec(yaml, `the spec rendered from ${pkg.meta.name}`, { clusterRules: true });
  } catch (err) {
    if (!(err instanceof ServiceSpecError)) throw err;
    const issues = err.issues.map((i) => ({ path: optionPath(i.path), message: `${i.message} (pxfw run would refuse this spec)` }));
    throw new PackageOptionsError(pkg.meta.name, issues, { cause: err });
  }
}

/**
 * The Marathon app `dcos package install <package> --options=FILE` would create: config.json
 * defaults merged with `options`, validated, then marathon.json.mustache rendered.
 * (Cosmos also adds its own DCOS_PACKAGE_* labels; those are not part of the package.)
 */
export async function renderMarathonApp(packageDir: string, options: unknown = {}): Promise<JsonObject> {
  const pkg = await loadPackage(packageDir);
  const resolved = resolveOptions(pkg, options);
  const app = renderTemplate(pkg, resolved);
  checkRenderedSpec(pkg, app);
  log.debug({ package: pkg.meta.name, id: app.id }, 'marathon app rendered');
  return app;
}
