import { describe, expect, it } from 'vitest';
import { protoViolations } from './helpers/proto-check';

// The strict checker other tests rely on must itself catch what it claims to.
describe('the strict proto checker used by these tests', () => {
  it('accepts a well-formed call', () => {
    expect(protoViolations('mesos.scheduler.Call', { type: 'REVIVE', framework_id: { value: 'f' } })).toEqual([]);
  });

  it('reports unknown fields, missing required fields, bad enum names and wrong kinds', () => {
    const problems = protoViolations('mesos.scheduler.Call', {
      type: 'REVIVE_ALL',
      framework_id: {},
      kill: { task_id: { value: 1 } },
      extra: true,
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('type: REVIVE_ALL is not a Type'),
        expect.stringContaining('framework_id.value: required field missing'),
        expect.stringContaining('kill.task_id.value: number is not a valid string'),
        expect.stringContaining('extra: no such field'),
      ]),
    );
  });
});
