import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/nats-core';
import { SchedulerService } from '../../controller/scheduler-service';
import { parseSpec } from '../../service-spec';
import { Recorder } from '../../record/recorder';
import { childLogger } from '../../log/logger';

export interface SchedulerChildConfig {
  specFile: string;
  mesosUrl: string;
  portworxUrl: string;
  natsUrl: string;
  agentBaseUrl: string;
  speed: number;
  instanceId: string;
  recordDir?: string;
}

/** The scheduler under test: started, SIGKILLed (child mode) and stopped by the chaos runner. */
export interface SchedulerHandle {
  /** True when kill() is a real SIGKILL of a separate process. */
  readonly canSigkill: boolean;
  readonly running: boolean;
  start(): Promise<void>;
  /** SIGKILL (child) — the process dies with whatever it had in flight. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'scheduler-child.ts');

/** The scheduler as its own process (what Marathon runs), so it can be SIGKILLed. */
export class ChildScheduler implements SchedulerHandle {
  readonly canSigkill = true;
  private proc: ChildProcess | undefined;
  private starts = 0;
  private readonly log: WriteStream;

  constructor(
    private readonly cfg: Omit<SchedulerChildConfig, 'instanceId'>,
    logFile: string,
    private readonly logLevel = 'warn',
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const instanceId = `chaos-${process.pid}-${this.starts++}`;
    const env = { ...process.env, PXFW_CHAOS_SCHEDULER: JSON.stringify({ ...this.cfg, instanceId }), PXFW_LOG_LEVEL: this.logLevel };
    const proc = fork(CHILD, [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.proc = proc;
    // Never leave a scheduler behind when the runner itself goes away.
    const reap = () => proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.once('exit', () => process.off('exit', reap));
    this.log.write(`--- scheduler ${instanceId} pid ${proc.pid} started ${new Date().toISOString()}\n`);
    proc.stdout?.pipe(this.log, { end: false });
    proc.stderr?.pipe(this.log, { end: false });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('scheduler child did not start within 60 s')), 60_000);
      proc.once('message', () => {
        clearTimeout(t);
        resolve();
      });
      proc.once('exit', (code, sig) => {
        clearTimeout(t);
        reject(new Error(`scheduler child exited while starting (${code ?? sig})`));
      });
    });
  }

  async kill(): Promise<void> {
    const p = this.proc;
    if (!p || !this.running) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
    this.log.write(`--- scheduler pid ${p.pid} SIGKILLed ${new Date().toISOString()}\n`);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && this.running) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
        p.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        p.kill('SIGTERM');
      });
    }
    this.proc = undefined;
    await new Promise<void>((r) => this.log.end(() => r()));
  }
}

/** The scheduler in this process (fast to start; cannot be SIGKILLed). */
export class InProcessScheduler implements SchedulerHandle {
  readonly canSigkill = false;
  private service: SchedulerService | undefined;
  private starts = 0;

  constructor(
    private readonly cfg: Omit<SchedulerChildConfig, 'instanceId' | 'natsUrl'>,
    private readonly nc: NatsConnection,
  ) {}

  get running(): boolean {
    return this.service !== undefined;
  }

  async start(): Promise<void> {
    if (this.service) return;
    const yaml = await readFile(this.cfg.specFile, 'utf8');
    this.service = await SchedulerService.start({
      spec: parseSpec(yaml, this.cfg.specFile),
      specYaml: yaml,
      mesosUrl: this.cfg.mesosUrl,
      portworxUrl: this.cfg.portworxUrl,
      portworxLegacyUrl: this.cfg.portworxUrl,
      nc: this.nc,
      instanceId: `chaos-inproc-${process.pid}-${this.starts++}`,
      ...(this.cfg.recordDir ? { recorder: Recorder.toDir(this.cfg.recordDir) } : {}),
      agentUrl: (agentId) => `${this.cfg.agentBaseUrl}/agents/${encodeURIComponent(agentId)}`,
      speed: this.cfg.speed,
      logger: childLogger({ module: 'chaos-scheduler' }),
    });
  }

  async kill(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    const s = this.service;
    this.service = undefined;
    await s?.stop();
  }
}
