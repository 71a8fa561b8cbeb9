import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { version: string; node: string } | undefined;

/** pxfw's version (package.json two levels up from here, in src/ and in the package alike) and Node's. */
export function buildInfo(): { version: string; node: string } {
  if (cached) return cached;
  let version = 'unknown';
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string') version = pkg.version;
  } catch {
    // A missing package.json only loses the version label; the metric still says which Node runs.
  }
  cached = { version, node: process.version };
  return cached;
}
