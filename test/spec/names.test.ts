import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidNameInputError, parseTaskId, podInstanceName, taskIdFor, volumeName } from '../../src/spec';

const label = fc.stringMatching(/^[a-z]([-a-z0-9]{0,10}[a-z0-9])?$/);

describe('deterministic names', () => {
  it('names pod instances <podType>-<index>', () => {
    expect(podInstanceName('node', 0)).toBe('node-0');
    expect(podInstanceName('journal', 12)).toBe('journal-12');
  });

  it('names volumes <service>-<podType>-<index>-<volume>', () => {
    expect(volumeName('cassandra', 'node', 0, 'data')).toBe('cassandra-node-0-data');
  });

  it('gives the same task id for the same attempt and a new one for the next attempt', () => {
    expect(taskIdFor('hdfs', 'data', 2, 0)).toBe(taskIdFor('hdfs', 'data', 2, 0));
    expect(taskIdFor('hdfs', 'data', 2, 1)).not.toBe(taskIdFor('hdfs', 'data', 2, 0));
    expect(taskIdFor('hdfs', 'data', 2, 1)).toBe('hdfs__data-2__1');
  });

  it('parses its own task ids back and ignores foreign ones', () => {
    fc.assert(
      fc.property(label, label, fc.nat(10_000), fc.nat(1_000), (service, podType, index, attempt) => {
        expect(parseTaskId(taskIdFor(service, podType, index, attempt))).toEqual({ service, podType, index, attempt });
      }),
    );
    expect(parseTaskId('marathon-app.1234')).toBeUndefined();
  });

  it('refuses negative or fractional indexes', () => {
    expect(() => podInstanceName('node', -1)).toThrow(InvalidNameInputError);
    expect(() => volumeName('s', 'node', 1.5, 'data')).toThrow(InvalidNameInputError);
    expect(() => taskIdFor('s', 'node', 0, -2)).toThrow(/attempt/);
  });
});
