import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringifyJson } from '../util/lossless-json';

/** One line of DIR/mesos.jsonl (DESIGN.md "Recording"). `body` is exactly the JSON on the wire. */
export interface MesosRecord {
  ts: string;
  api: 'scheduler' | 'operator';
  dir: 'call' | 'event' | 'response';
  body: unknown;
}

/** One line of DIR/portworx.jsonl. */
export interface PortworxRecord {
  ts: string;
  method: string;
  path: string;
  status: number;
  request: unknown;
  response: unknown;
}

/** One line of DIR/transitions.jsonl. */
export interface TransitionRecord {
  ts: string;
  service: string;
  actor: string;
  from: string;
  to: string;
  event: string;
  reason: string | null;
}

export type RecordStream = 'mesos' | 'portworx' | 'transitions';

/**
 * Appends wire records, one JSON object a line. Writes are synchronous so a crash never loses
 * a line that was already exchanged, and lines from one process never interleave.
 * A recorder may target a directory (the three standard files) or a single file.
 */
export class Recorder {
  private constructor(private readonly pathFor: (stream: RecordStream) => string) {}

  /** Record into DIR/mesos.jsonl, DIR/portworx.jsonl and DIR/transitions.jsonl. */
  static toDir(dir: string): Recorder {
    mkdirSync(dir, { recursive: true });
    return new Recorder((stream) => join(dir, `${stream}.jsonl`));
  }

  /** Record every stream into one file (the simulators' `--record FILE`). */
  static toFile(file: string): Recorder {
    mkdirSync(dirname(file), { recursive: true });
    return new Recorder(() => file);
  }

  mesos(api: MesosRecord['api'], dir: MesosRecord['dir'], body: unknown): void {
    this.append('mesos', { ts: new Date().toISOString(), api, dir, body });
  }

  portworx(rec: Omit<PortworxRecord, 'ts'>): void {
    this.append('portworx', { ts: new Date().toISOString(), ...rec });
  }

  transition(rec: Omit<TransitionRecord, 'ts'>): void {
    this.append('transitions', { ts: new Date().toISOString(), ...rec });
  }

  private append(stream: RecordStream, line: object): void {
    appendFileSync(this.pathFor(stream), stringifyJson(line) + '\n');
  }
}

/** The recorder named by `--record DIR` or PXFW_RECORD_DIR, if any. */
export function recorderFromEnv(dir = process.env.PXFW_RECORD_DIR): Recorder | undefined {
  return dir ? Recorder.toDir(dir) : undefined;
}
