import { nanos } from '@nats-io/nats-core';
import { JetStreamApiError, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { ALERT_STREAM, ALERT_SUBJECT_ROOT } from './alert';
import { AlertStreamConfigError } from './errors';

export interface AlertStreamOptions {
  name?: string;
  /** Subjects the stream captures (default `portworx.alerts.>`); a narrower set lets streams coexist. */
  subjects?: string[];
  /** How long JetStream remembers a Nats-Msg-Id to drop a repeat (default 2 hours). */
  duplicateWindowMs?: number;
}

export const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60 * 60 * 1000;
const STREAM_NOT_FOUND = 10059;
const SUBJECTS_OVERLAP = 10065;

/** Create the alerts stream (file storage, `portworx.alerts.>`) unless it exists; returns its name. */
export async function ensureAlertStream(jsm: JetStreamManager, opts: AlertStreamOptions = {}): Promise<string> {
  const name = opts.name ?? ALERT_STREAM;
  try {
    await jsm.streams.info(name);
    return name;
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== STREAM_NOT_FOUND) throw err;
  }
  const subjects = opts.subjects ?? [`${ALERT_SUBJECT_ROOT}.>`];
  try {
    await jsm.streams.add({
      name,
      subjects,
      storage: StorageType.File,
      duplicate_window: nanos(opts.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
    });
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === SUBJECTS_OVERLAP) {
      throw new AlertStreamConfigError(
        `cannot create JetStream stream ${name} on ${subjects.join(', ')}: another stream already captures ` +
          'those subjects; use that stream\'s name or remove it',
        { cause: err },
      );
    }
    throw err;
  }
  return name;
}
