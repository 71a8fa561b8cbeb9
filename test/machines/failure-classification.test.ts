import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyTaskState, endsStop, TASK_STATES } from '../../machines/task-status';
import { CLASSIFICATION_ROWS, rowInput } from './failure-classification.cases';
import { startPod } from './pod-harness';

const doc = readFileSync(new URL('../../docs/failure-classification.md', import.meta.url), 'utf8');

/** `| M7 | signal | when | outcome | … |` rows of the document's pod machine table. */
function documentedRows(prefix: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of doc.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length > 4 && new RegExp(`^${prefix}\\d+$`).test(cells[1] ?? '')) out.set(cells[1]!, cells.slice(2, -1));
  }
  return out;
}

describe('failure classification (docs/failure-classification.md), pod machine rows', () => {
  it.each(CLASSIFICATION_ROWS.map((r) => [`${r.id} ${r.signal} while ${r.when} → ${r.outcome}`, r] as const))('%s', async (_, row) => {
    const rig = startPod({ input: rowInput(row) });
    await row.drive(rig);
    expect(rig.state()).toBe(row.state);
    if (row.context) expect(rig.actor.getSnapshot().context).toMatchObject(row.context);
    // Nothing is ever moved or fenced without the machine saying why.
    expect(rig.actor.getSnapshot().context.reason).not.toBe('');
    rig.actor.stop();
  });

  it('documents every row the tests run, with the same outcome, and no row that is not tested', () => {
    const documented = documentedRows('M');
    expect([...documented.keys()].sort()).toEqual(CLASSIFICATION_ROWS.map((r) => r.id).sort());
    for (const row of CLASSIFICATION_ROWS) expect(documented.get(row.id)?.[2], row.id).toBe(row.outcome);
  });
});

describe('classifyTaskState covers every Mesos task state', () => {
  it.each(TASK_STATES.map((s) => [s] as const))('%s has an outcome while launching and while running', (state) => {
    expect(classifyTaskState(state, undefined, true)).toBeTypeOf('string');
    expect(classifyTaskState(state, undefined, false)).toBeTypeOf('string');
  });

  it('never reads TASK_GONE as a lost host, and ends a stop on UNKNOWN and LOST', () => {
    expect(classifyTaskState('TASK_GONE', undefined, false)).toBe('transient');
    expect(classifyTaskState('TASK_UNKNOWN', undefined, true)).toBe('launch-failed');
    expect(classifyTaskState('TASK_UNKNOWN', undefined, false)).toBe('permanent');
    expect(classifyTaskState('TASK_LOST', undefined, false)).toBe('lost');
    expect(classifyTaskState('TASK_UNREACHABLE', undefined, false)).toBe('suspect');
    expect(endsStop('TASK_UNKNOWN') && endsStop('TASK_LOST') && endsStop('TASK_GONE')).toBe(true);
    expect(endsStop('TASK_UNREACHABLE') || endsStop('TASK_RUNNING')).toBe(false);
  });
});
