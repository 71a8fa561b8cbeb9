import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from 'vitest';
import { isPlainObject, readJsonLines } from './jsonl';
import { checkMesosRecord, checkMesosRecordingFile } from './mesos-proto-checker';
import { checkPortworxRecord, checkPortworxRecordingFile } from './portworx-openapi-checker';

/** How many violations a failure lists; the rest are counted. */
const SHOWN = 20;

export type RecordingStream = 'mesos' | 'portworx';

export interface ConformanceSummary {
  /** Lines checked per stream (0 when the file is absent). */
  mesosLines: number;
  portworxLines: number;
  violations: string[];
}

/** Check DIR/mesos.jsonl and DIR/portworx.jsonl (whichever exist) without failing. */
export function checkRecordings(dir: string): ConformanceSummary {
  const summary: ConformanceSummary = { mesosLines: 0, portworxLines: 0, violations: [] };
  const mesos = join(dir, 'mesos.jsonl');
  if (existsSync(mesos)) {
    const r = checkMesosRecordingFile(mesos);
    summary.mesosLines = r.lines;
    summary.violations.push(...r.violations);
  }
  const portworx = join(dir, 'portworx.jsonl');
  if (existsSync(portworx)) {
    const r = checkPortworxRecordingFile(portworx);
    summary.portworxLines = r.lines;
    summary.violations.push(...r.violations);
  }
  return summary;
}

/**
 * Check a single file holding every stream (a simulator's `--record FILE`): each line is told
 * apart by its keys — `api` for Mesos, `method` for Portworx, `actor` for a transition (not
 * checked here).
 */
export function checkMixedRecordingFile(path: string): ConformanceSummary {
  const summary: ConformanceSummary = { mesosLines: 0, portworxLines: 0, violations: [] };
  for (const line of readJsonLines(path)) {
    const at = `${path}:${line.lineNo}`;
    if ('parseError' in line) {
      summary.violations.push(`${at}: not JSON (${line.parseError})`);
    } else if (isPlainObject(line.value) && 'api' in line.value) {
      summary.mesosLines++;
      summary.violations.push(...checkMesosRecord(line.value).map((v) => `${at}: ${v}`));
    } else if (isPlainObject(line.value) && 'method' in line.value) {
      summary.portworxLines++;
      summary.violations.push(...checkPortworxRecord(line.value).map((v) => `${at}: ${v}`));
    } else if (!isPlainObject(line.value) || !('actor' in line.value)) {
      summary.violations.push(`${at}: neither a Mesos, a Portworx nor a transition record`);
    }
  }
  return summary;
}

/**
 * The closing assertion of an integration test that ran with `--record DIR`: every recorded
 * Mesos message and Portworx exchange must conform. Fails listing the first 20 violations.
 * `require` names streams that must have been recorded (at least one line), so a test whose
 * recording silently stopped working cannot pass vacuously.
 */
export function expectConformantRecordings(
  dir: string,
  options: { require?: RecordingStream[] } = {},
): ConformanceSummary {
  const summary = checkRecordings(dir);
  const problems = [...summary.violations];
  for (const stream of options.require ?? []) {
    const lines = stream === 'mesos' ? summary.mesosLines : summary.portworxLines;
    if (lines === 0) problems.unshift(`${join(dir, `${stream}.jsonl`)}: expected recorded traffic, found none`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, SHOWN).map((p) => `  - ${p}`);
    const more = problems.length > SHOWN ? [`  ... and ${problems.length - SHOWN} more`] : [];
    assert.fail(
      [`${problems.length} wire conformance violation(s) in ${dir}:`, ...shown, ...more].join('\n'),
    );
  }
  return summary;
}
