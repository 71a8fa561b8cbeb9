import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv-draft-04';
import { ajvIssues, createDraft04Ajv } from '../../src/packaging';

/** Paths of this checkout and of the published schemas beside it (../shared/spec). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SPEC_DIR = resolve(REPO_ROOT, '..', 'shared', 'spec');
export const PACKAGES_DIR = join(REPO_ROOT, 'deploy', 'universe', 'packages');
export const FRAMEWORKS_DIR = join(REPO_ROOT, 'deploy', 'frameworks');

function readSchema(rel: string): Record<string, unknown> {
  const path = join(SPEC_DIR, rel);
  if (!existsSync(path)) {
    throw new Error(
      `published schema ${path} is missing: the packaging tests need the shared/ folder beside the clone (${SPEC_DIR}), as CI lays it out`,
    );
  }
  const schema = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  // Marathon's file names the unversioned meta-schema URL, which no validator knows; it is draft-04.
  if (schema.$schema === 'http://json-schema.org/schema#') delete schema.$schema;
  return schema;
}

export interface Validators {
  packageJson: ValidateFunction;
  configJson: ValidateFunction;
  resourceJson: ValidateFunction;
  repo: ValidateFunction;
  marathonApp: ValidateFunction;
}

let cached: Validators | undefined;

/** Compiled validators for the universe and Marathon schemas (draft-04). */
export function validators(): Validators {
  if (cached) return cached;
  const ajv = createDraft04Ajv();
  ajv.addSchema(readSchema('universe/vX-repo-definitions.json'), 'vX-repo-definitions.json');
  cached = {
    packageJson: ajv.compile(readSchema('universe/package-schema.json')),
    configJson: ajv.compile(readSchema('universe/config-schema.json')),
    resourceJson: ajv.compile(readSchema('universe/v3-resource-schema.json')),
    repo: ajv.compile(readSchema('universe/v4-repo-schema.json')),
    marathonApp: ajv.compile(readSchema('marathon/AppDefinition.json')),
  };
  return cached;
}

/** Validation problems as `path: message` lines, empty when valid (readable in a failed expect). */
export function problems(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : ajvIssues(validate.errors).map((i) => `${i.path || '(root)'}: ${i.message}`);
}
