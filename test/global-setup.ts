import { missingPrerequisites } from './helpers/prerequisites';

/** Fail the whole run at once, naming the package to install, instead of failing test by test. */
export default function setup(): void {
  const missing = missingPrerequisites();
  if (missing.length > 0) {
    throw new Error(`pxfw tests cannot run:\n  ${missing.join('\n  ')}`);
  }
}
