import { PxfwError } from '../errors';

/** One problem with package options or a package file: `path` names the field (`node.count`). */
export interface PackageIssue {
  path: string;
  message: string;
}

/** A package file is missing, unreadable or not the JSON it should be. */
export class PackageFileError extends PxfwError {
  readonly code = 'PACKAGE_FILE_INVALID';
  readonly retryable = false;

  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`package file ${file}: ${reason}`, options);
  }
}

/**
 * Install options do not satisfy the package's config.json schema (what `dcos package install
 * --options` would refuse). The message lists every issue as `path: message`.
 */
export class PackageOptionsError extends PxfwError {
  readonly code = 'PACKAGE_OPTIONS_INVALID';
  readonly retryable = false;

  constructor(
    readonly packageName: string,
    readonly issues: readonly PackageIssue[],
    options?: { cause?: unknown },
  ) {
    super(`invalid options for package ${packageName}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, options);
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), packageName: this.packageName, issues: this.issues };
  }
}

/** marathon.json.mustache rendered to something that is not a JSON object. */
export class TemplateRenderError extends PxfwError {
  readonly code = 'PACKAGE_TEMPLATE_INVALID';
  readonly retryable = false;

  constructor(
    readonly packageName: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`marathon.json.mustache of package ${packageName} ${reason}`, options);
  }
}

/** A framework spec cannot be turned into a universe package (e.g. a pod type named like a reserved option group). */
export class PackageGenerateError extends PxfwError {
  readonly code = 'PACKAGE_GENERATE_FAILED';
  readonly retryable = false;

  constructor(
    readonly specSource: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot build a package from ${specSource}: ${reason}`, options);
  }
}
