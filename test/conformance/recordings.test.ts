import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/recorder';
import { checkMixedRecordingFile, expectConformantRecordings } from './recordings';
import { getAgentsResponse, subscribeCall, updateEvent } from './mesos-samples';

describe('expectConformantRecordings(DIR)', () => {
  const dirs: string[] = [];
  const freshDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'pxfw-rec-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('passes a conformant recording and reports how many lines it checked', () => {
    const dir = freshDir();
    const rec = Recorder.toDir(dir);
    rec.mesos('scheduler', 'call', subscribeCall());
    rec.mesos('scheduler', 'event', updateEvent());
    rec.mesos('operator', 'response', getAgentsResponse());
    rec.portworx({ method: 'GET', path: '/v1/volumes', status: 200, request: null, response: { volume_ids: ['1'] } });
    rec.transition({ service: 'cassandra', actor: 'node-0', from: 'pending', to: 'placed', event: 'x', reason: null });
    const summary = expectConformantRecordings(dir, { require: ['mesos', 'portworx'] });
    expect(summary).toEqual({ mesosLines: 3, portworxLines: 1, violations: [] });
  });

  it('passes a directory with neither file unless a stream is required', () => {
    const dir = freshDir();
    expect(expectConformantRecordings(dir).violations).toEqual([]);
    expect(() => expectConformantRecordings(dir, { require: ['mesos'] })).toThrow(
      /mesos\.jsonl: expected recorded traffic, found none/,
    );
  });

  it('fails listing the violations with file and line', () => {
    const dir = freshDir();
    const rec = Recorder.toDir(dir);
    rec.mesos('scheduler', 'call', { type: 'KILL', framework_id: { value: 'f' }, kill: { task_id: {} } });
    rec.portworx({ method: 'POST', path: '/v1/volumes/replace/abc', status: 200, request: {}, response: {} });
    const fail = () => expectConformantRecordings(dir);
    expect(fail).toThrow(/2 wire conformance violation\(s\)/);
    expect(fail).toThrow(`${join(dir, 'mesos.jsonl')}:1: body.kill.task_id.value: required field missing`);
    expect(fail).toThrow(`${join(dir, 'portworx.jsonl')}:1: POST /v1/volumes/replace/abc: path: no OpenStorage SDK route`);
  });

  it('lists only the first 20 violations and counts the rest', () => {
    const dir = freshDir();
    const rec = Recorder.toDir(dir);
    for (let i = 0; i < 25; i++) rec.mesos('scheduler', 'call', { type: 'NOT_A_CALL' });
    let message = '';
    try {
      expectConformantRecordings(dir);
    } catch (err) {
      message = err instanceof Error ? err.message : String(err);
    }
    expect(message).toMatch(/^25 wire conformance violation\(s\)/);
    expect(message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(20);
    expect(message).toMatch(/\.\.\. and 5 more$/);
  });
});

describe('checkMixedRecordingFile (a simulator recording every stream into one file)', () => {
  it('tells the streams apart by their keys and checks each line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxfw-rec-'));
    try {
      const file = join(dir, 'sim.jsonl');
      const rec = Recorder.toFile(file);
      rec.mesos('scheduler', 'event', updateEvent());
      rec.portworx({ method: 'GET', path: '/v1/volumes', status: 200, request: null, response: { volume_ids: [] } });
      rec.transition({ service: 'cassandra', actor: 'node-0', from: 'placed', to: 'running', event: 'x', reason: null });
      rec.mesos('operator', 'event', { type: 'AGENT_ADDED', agent_added: {} });
      expect(checkMixedRecordingFile(file)).toEqual({
        mesosLines: 2,
        portworxLines: 1,
        violations: [`${file}:4: body.agent_added.agent: required field missing (mesos.v1.master.Event.AgentAdded)`],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
