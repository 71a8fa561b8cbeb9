import Mustache from 'mustache';
import { z } from 'zod';
import { childLogger } from '../log/logger';
import { PackageOptionsError, TemplateRenderError } from './errors';
import { ajvIssues, createDraft04Ajv, deepMerge, defaultsFromSchema, isJsonObject, type JsonObject } from './json-schema';
import { loadPackage, type UniversePackage } from './package-dir';

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
 * The Marathon app `dcos package install <package> --options=FILE` would create: config.json
 * defaults merged with `options`, validated, then marathon.json.mustache rendered.
 * (Cosmos also adds its own DCOS_PACKAGE_* labels; those are not part of the package.)
 */
export async function renderMarathonApp(packageDir: string, options: unknown = {}): Promise<JsonObject> {
  const pkg = await loadPackage(packageDir);
  const resolved = resolveOptions(pkg, options);
  const app = renderTemplate(pkg, resolved);
  log.debug({ package: pkg.meta.name, id: app.id }, 'marathon app rendered');
  return app;
}
