import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidNameInputError, parseTaskId, podInstanceName, taskIdFor, volumeName } from '../../src/service-spec';

const label = fc.stringMatching(/^[a-z]([-a-z0-9]{0,10}[a-z0-9])?$/);

describe('names', () => {
  it('names pod instances <podType>-<index>', () => {
    expect(podInstanceName('node', 0)).toBe('node-0');
    expect(podInstanceName('journal', 12)).toBe('journal-12');
  });

  it('names volumes <service>-<podType>-<index>-<volume>', () => {
    expect(volumeName('cassandra', 'node', 0, 'data')).toBe('cassandra-node-0-data');
  });

  it('gives every launch a task id never used before: <service>__<podType>-<index>__<attempt>-<8 hex>', () => {
    expect(taskIdFor('hdfs', 'data', 2, 1)).toMatch(/^hdfs__data-2__1-[0-9a-f]{8}$/);
    expect(taskIdFor('hdfs', 'data', 2, 1, '0a1b2c3d')).toBe('hdfs__data-2__1-0a1b2c3d');
    // The same pod instance and attempt (e.g. a pod created again after a decommission) still
    // gets a different id each time.
    const ids = new Set(Array.from({ length: 1000 }, () => taskIdFor('cassandra', 'node', 3, 1)));
    expect(ids.size).toBe(1000);
  });

  it('parses its own task ids back and ignores foreign ones', () => {
    fc.assert(
      fc.property(label, label, fc.nat(10_000), fc.nat(1_000), fc.stringMatching(/^[0-9a-f]{8}$/), (service, podType, index, attempt, nonce) => {
        expect(parseTaskId(taskIdFor(service, podType, index, attempt, nonce))).toEqual({ service, podType, index, attempt, nonce });
      }),
    );
    expect(parseTaskId('marathon-app.1234')).toBeUndefined();
    expect(parseTaskId('cassandra__node-1__2-XYZ')).toBeUndefined();
    expect(parseTaskId('cassandra__node-1__2-abc')).toBeUndefined();
  });

  it('still parses the older <service>__<podType>-<index>__<attempt> form found in restored state', () => {
    expect(parseTaskId('cassandra__node-1__3')).toEqual({ service: 'cassandra', podType: 'node', index: 1, attempt: 3 });
    expect(parseTaskId('hdfs__journal-node-0__12')).toEqual({ service: 'hdfs', podType: 'journal-node', index: 0, attempt: 12 });
  });

  it('refuses negative or fractional indexes', () => {
    expect(() => podInstanceName('node', -1)).toThrow(InvalidNameInputError);
    expect(() => volumeName('s', 'node', 1.5, 'data')).toThrow(InvalidNameInputError);
    expect(() => taskIdFor('s', 'node', 0, -2)).toThrow(/attempt/);
    expect(() => taskIdFor('s', 'node', 0, 1, 'not-hex!')).toThrow(InvalidNameInputError);
  });
});
