import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectConformantRecordings } from '../conformance/recordings';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { frameworkYaml } from './helpers';
import { patchSpec, readRecords } from './helpers-recovery';

const BIN = resolve(__dirname, '..', '..', 'bin', 'pxfw.mjs');

interface Run {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

/** Run `node bin/pxfw.mjs ARGS…` to completion (killed after `killAfterMs`). */
function pxfw(args: string[], killAfterMs: number): Promise<Run> {
  const started = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PXFW_LOG_LEVEL: 'silent' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, out, err, ms: Date.now() - started });
    });
  });
}

/** A spec file under a unique service name (tests share one NATS server). */
function specFile(overrides?: (yaml: string) => string): { path: string; name: string } {
  const { yaml, name } = frameworkYaml('cassandra', overrides);
  const path = join(mkdtempSync(join(tmpdir(), 'pxfw-spec-')), `${name}.yml`);
  writeFileSync(path, yaml);
  return { path, name };
}

function sandboxArgs(spec: string, record: string, extra: string[] = []): string[] {
  return ['sandbox', '--until', 'deployed', '--record', record, '--speed', '10', '--http', '0', '--nats', SHARED_NATS_URL, '--framework', spec, ...extra];
}

describe('pxfw sandbox --until deployed', () => {
  it('exits 0 once the deploy plan is complete, printing progress, with conformant recordings', async () => {
    const spec = specFile();
    const record = mkdtempSync(join(tmpdir(), 'pxfw-cli-'));
    const run = await pxfw(sandboxArgs(spec.path, record), 50_000);
    expect(run.code, run.err).toBe(0);
    expect(run.ms).toBeLessThan(50_000);
    expect(run.out).toContain(`sandbox up: service ${spec.name}`);
    expect(run.out).toMatch(/pod\/node-0: .*-> running/);
    expect(run.out).toContain(`deploy plan complete for ${spec.name}`);
    const transitions = readRecords(record, 'transitions');
    for (const pod of ['node-0', 'node-1', 'node-2']) {
      expect(transitions.some((t) => t.actor === `pod/${pod}` && t.to.startsWith('running')), pod).toBe(true);
    }
    const summary = expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
    expect(summary.mesosLines).toBeGreaterThan(0);
    expect(summary.portworxLines).toBeGreaterThan(0);
  });

  it('exits non-zero with a one-line reason naming the deploy plan when the spec cannot deploy', async () => {
    const spec = specFile(
      patchSpec((doc) => {
        doc.pods.node!.cpus = 1000;
      }),
    );
    const record = mkdtempSync(join(tmpdir(), 'pxfw-cli-'));
    const run = await pxfw(sandboxArgs(spec.path, record, ['--timeout', '5']), 40_000);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    const lines = run.err.trim().split('\n');
    expect(lines, run.err).toHaveLength(1);
    expect(lines[0]).toMatch(/^pxfw: .*deploy plan/);
    expect(run.out).not.toContain('deploy plan complete');
    expect(readFileSync(join(record, 'mesos.jsonl'), 'utf8').length).toBeGreaterThan(0);
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
