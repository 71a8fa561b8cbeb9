import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/recorder';
import { UnknownMessageTypeError } from './conformance-errors';
import { checkMesosRecord, checkMesosRecordingFile, checkMessage } from './mesos-proto-checker';
import {
  acceptLaunchGroupCall,
  getAgentsResponse,
  offersEvent,
  subscribeCall,
  updateEvent,
} from './mesos-samples';

describe('checkMessage against the Debian Mesos v1 protos', () => {
  describe('accepts well-formed messages', () => {
    it('a SUBSCRIBE call with framework_info and PARTITION_AWARE/REGION_AWARE capabilities', () => {
      expect(checkMessage('mesos.v1.scheduler.Call', subscribeCall())).toEqual([]);
    });

    it('an ACCEPT with LAUNCH_GROUP, a DEFAULT executor and a pxd DOCKER_VOLUME', () => {
      expect(checkMessage('mesos.v1.scheduler.Call', acceptLaunchGroupCall())).toEqual([]);
    });

    it('an UPDATE event whose status carries a base64 uuid', () => {
      expect(checkMessage('mesos.v1.scheduler.Event', updateEvent())).toEqual([]);
    });

    it('an OFFERS event with a fault domain and attributes', () => {
      expect(checkMessage('mesos.v1.scheduler.Event', offersEvent())).toEqual([]);
    });

    it('an operator GET_AGENTS response whose int64 timestamp exceeds 2^53 (a bigint)', () => {
      expect(checkMessage('mesos.v1.master.Response', getAgentsResponse())).toEqual([]);
    });

    it('the Debian package names without v1 as well as the upstream ones', () => {
      expect(checkMessage('mesos.TaskID', { value: 't' })).toEqual([]);
      expect(checkMessage('mesos.v1.TaskID', { value: 't' })).toEqual([]);
    });
  });

  describe('the three Mesos 1.5+ master-to-client additions, and nothing more', () => {
    it('accepts the operator HEARTBEAT event', () => {
      expect(checkMessage('mesos.v1.master.Event', { type: 'HEARTBEAT' })).toEqual([]);
    });

    it('accepts Subscribed.heartbeat_interval_seconds as a double', () => {
      const ev = { type: 'SUBSCRIBED', subscribed: { heartbeat_interval_seconds: 15 } };
      expect(checkMessage('mesos.v1.master.Event', ev)).toEqual([]);
      const bad = { type: 'SUBSCRIBED', subscribed: { heartbeat_interval_seconds: '15' } };
      expect(checkMessage('mesos.v1.master.Event', bad)).toEqual([
        '$.subscribed.heartbeat_interval_seconds: must be a number (double), got "15"',
      ]);
    });

    it('accepts REASON_AGENT_REREGISTERED in a TaskStatus', () => {
      const status = { task_id: { value: 't' }, state: 'TASK_RUNNING', reason: 'REASON_AGENT_REREGISTERED' };
      expect(checkMessage('mesos.v1.TaskStatus', status)).toEqual([]);
    });

    it('still rejects other newer values such as REASON_AGENT_DRAINING', () => {
      const status = { task_id: { value: 't' }, state: 'TASK_RUNNING', reason: 'REASON_AGENT_DRAINING' };
      const [violation] = checkMessage('mesos.v1.TaskStatus', status);
      expect(violation).toMatch(/^\$\.reason: 'REASON_AGENT_DRAINING' is not a value name of mesos\.v1\.TaskStatus\.Reason/);
    });
  });

  describe('reports malformed messages with the JSON path of the problem', () => {
    it('an unknown field, suggesting the snake_case name for a camelCase one', () => {
      const ev = updateEvent() as { update: { status: Record<string, unknown> } };
      ev.update.status.taskId = ev.update.status.task_id;
      expect(checkMessage('mesos.v1.scheduler.Event', ev)).toEqual([
        "$.update.status.taskId: unknown field 'taskId' in mesos.v1.TaskStatus (did you mean 'task_id'?)",
      ]);
    });

    it('a missing required field deep inside (a TaskID without value)', () => {
      const call = { type: 'KILL', framework_id: { value: 'f' }, kill: { task_id: {} } };
      expect(checkMessage('mesos.v1.scheduler.Call', call)).toEqual([
        '$.kill.task_id.value: required field missing (mesos.v1.TaskID)',
      ]);
    });

    it('a misspelt enum name', () => {
      const ev = updateEvent();
      ev.update.status.state = 'TASK_RUNING';
      const [violation, ...rest] = checkMessage('mesos.v1.scheduler.Event', ev);
      expect(rest).toEqual([]);
      expect(violation).toMatch(/^\$\.update\.status\.state: 'TASK_RUNING' is not a value name of mesos\.v1\.TaskState/);
    });

    it('an enum sent as its number instead of its name', () => {
      expect(checkMessage('mesos.v1.scheduler.Call', { type: 1 })[0]).toMatch(
        /^\$\.type: must be a value name \(string\) of mesos\.v1\.scheduler\.Call\.Type .*got 1$/,
      );
    });

    it('a string where an int32 is expected', () => {
      const res = getAgentsResponse() as unknown as { get_agents: { agents: { agent_info: { port: unknown } }[] } };
      res.get_agents.agents[0]!.agent_info.port = '5051';
      expect(checkMessage('mesos.v1.master.Response', res)).toEqual([
        '$.get_agents.agents[0].agent_info.port: must be an integer number (int32), got "5051"',
      ]);
    });

    it('a scalar where a repeated field wants an array, and null for an optional field', () => {
      const call = { type: 'REVIVE', framework_id: { value: 'f' }, revive: { roles: 'cassandra-role' }, kill: null };
      expect(checkMessage('mesos.v1.scheduler.Call', call)).toEqual([
        '$.revive.roles: must be an array (repeated string), got "cassandra-role"',
        '$.kill: null is not a valid Kill; omit the field instead',
      ]);
    });

    it('bytes that are not base64', () => {
      const ack = {
        type: 'ACKNOWLEDGE',
        framework_id: { value: 'f' },
        acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid: 'not base64!' },
      };
      expect(checkMessage('mesos.v1.scheduler.Call', ack)).toEqual([
        '$.acknowledge.uuid: must be a base64 string (bytes), got "not base64!"',
      ]);
    });

    it('a non-object where a message is expected', () => {
      expect(checkMessage('mesos.v1.scheduler.Call', [])).toEqual([
        '$: must be an object (mesos.v1.scheduler.Call), got an array',
      ]);
    });
  });

  describe('int64 values', () => {
    const time = (nanoseconds: unknown) => checkMessage('mesos.v1.TimeInfo', { nanoseconds });

    it('accepts JSON integers, bigints past 2^53 and decimal strings', () => {
      expect(time(1_732_579_000)).toEqual([]);
      expect(time(2n ** 60n)).toEqual([]);
      expect(time('1732579000123456789')).toEqual([]);
    });

    it('rejects fractions, non-numeric strings and values outside the int64 range', () => {
      expect(time(1.5)).toEqual(['$.nanoseconds: must be an integer (int64: a JSON integer or a decimal string), got 1.5']);
      expect(time('12ns')).toHaveLength(1);
      expect(time(2n ** 63n)).toEqual([`$.nanoseconds: is out of range for int64, got ${2n ** 63n} (integer)`]);
    });

    it('accepts every int64 in range and rejects every one beyond it (property)', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (n) => time(n).length === 0),
      );
      fc.assert(fc.property(fc.bigInt({ min: 2n ** 63n, max: 2n ** 70n }), (n) => time(n).length === 1));
    });
  });

  it('throws an actionable error for a type the protos do not have', () => {
    expect(() => checkMessage('mesos.v1.scheduler.Nope', {})).toThrow(UnknownMessageTypeError);
  });
});

describe('checkMesosRecord (one line of mesos.jsonl)', () => {
  const line = (over: Record<string, unknown>) => ({
    ts: '2025-11-26T00:00:00.000Z',
    api: 'scheduler',
    dir: 'call',
    body: subscribeCall(),
    ...over,
  });

  it('maps api and dir to the right message type', () => {
    expect(checkMesosRecord(line({}))).toEqual([]);
    expect(checkMesosRecord(line({ dir: 'event', body: offersEvent() }))).toEqual([]);
    expect(checkMesosRecord(line({ api: 'operator', body: { type: 'GET_AGENTS' } }))).toEqual([]);
    expect(checkMesosRecord(line({ api: 'operator', dir: 'event', body: { type: 'HEARTBEAT' } }))).toEqual([]);
    expect(checkMesosRecord(line({ api: 'operator', dir: 'response', body: getAgentsResponse() }))).toEqual([]);
  });

  it('prefixes body violations with body', () => {
    expect(checkMesosRecord(line({ body: { type: 'SUBSCRIBE', subscribe: {} } }))).toEqual([
      'body.subscribe.framework_info: required field missing (mesos.v1.scheduler.Call.Subscribe)',
    ]);
  });

  it('checks the line shape itself', () => {
    expect(checkMesosRecord(line({ api: 'agent' }))[0]).toMatch(/^\$\.api: /);
    expect(checkMesosRecord(line({ ts: 'yesterday' }))[0]).toMatch(/^\$\.ts: /);
    expect(checkMesosRecord(line({ extra: 1 }))[0]).toMatch(/extra/);
    const { body: _body, ...noBody } = line({});
    expect(checkMesosRecord(noBody)).toEqual(['$.body: required field missing']);
    expect(checkMesosRecord(line({ dir: 'response' }))[0]).toMatch(/^\$\.dir: 'response' is not possible on the scheduler API/);
  });
});

describe('checkMesosRecordingFile', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reads what the Recorder writes, bigints included, and reports FILE:LINE for each violation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxfw-conf-'));
    dirs.push(dir);
    const rec = Recorder.toDir(dir);
    rec.mesos('operator', 'response', getAgentsResponse());
    rec.mesos('scheduler', 'call', { type: 'KILL', framework_id: { value: 'f' }, kill: { task_id: {} } });
    const file = join(dir, 'mesos.jsonl');
    const result = checkMesosRecordingFile(file);
    expect(result).toEqual({
      lines: 2,
      violations: [`${file}:2: body.kill.task_id.value: required field missing (mesos.v1.TaskID)`],
    });
  });

  it('reports a line that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxfw-conf-'));
    dirs.push(dir);
    const file = join(dir, 'mesos.jsonl');
    writeFileSync(file, '{"ts":\n');
    const result = checkMesosRecordingFile(file);
    expect(result.lines).toBe(1);
    expect(result.violations[0]).toMatch(new RegExp(`^${file}:1: not JSON`));
  });
});
