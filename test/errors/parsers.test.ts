import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { toEffectError } from '../../machines/effect-error';
import { MesosFrameworkRemovedError, parseMesosErrorEvent } from '../../src/mesos/errors';
import { isRevisionMismatch, isStreamNotFound, parseStateWriteError, StateConflictError, StateUnavailableError } from '../../src/state/errors';

const apiError = (code: number, description: string) => new JetStreamApiError({ code: 400, err_code: code, description });

describe('error parsers beside their error classes', () => {
  it('reads a Mesos ERROR event saying the framework was removed as a terminal MesosFrameworkRemovedError', () => {
    const err = parseMesosErrorEvent('Framework has been removed');
    expect(err).toBeInstanceOf(MesosFrameworkRemovedError);
    expect(toEffectError(err)).toMatchObject({ code: 'MESOS_FRAMEWORK_REMOVED', retryable: false });
    expect(parseMesosErrorEvent('Framework failed over')).toBeUndefined();
  });

  it('reads a KV compare-and-set refusal from the server error code, and from the text when there is no code', () => {
    expect(isRevisionMismatch(apiError(JetStreamApiCodes.StreamWrongLastSequence, 'wrong last sequence: 7'))).toBe(true);
    expect(isRevisionMismatch(apiError(JetStreamApiCodes.StreamWrongLastSequenceUnknown, 'wrong last sequence unknown'))).toBe(true);
    expect(isRevisionMismatch(apiError(JetStreamApiCodes.StreamNotFound, 'stream not found'))).toBe(false);
    expect(isRevisionMismatch(new Error('wrong last sequence: 3'))).toBe(true);
    expect(isRevisionMismatch(new Error('TIMEOUT'))).toBe(false);
  });

  it('turns a failed KV write into StateConflictError (lost the race) or StateUnavailableError (anything else)', () => {
    const conflict = parseStateWriteError(apiError(JetStreamApiCodes.StreamWrongLastSequence, 'wrong last sequence: 7'), 'pods.node-0');
    expect(conflict).toBeInstanceOf(StateConflictError);
    expect(conflict).toMatchObject({ key: 'pods.node-0', retryable: true });
    const already = new StateConflictError('k');
    expect(parseStateWriteError(already, 'k')).toBe(already);
    const down = parseStateWriteError(new Error('TIMEOUT'), 'pods.node-0');
    expect(down).toBeInstanceOf(StateUnavailableError);
    expect(down.cause).toBeInstanceOf(Error);
  });

  it('reads "stream not found" from its server code, not from any error that says not found elsewhere', () => {
    expect(isStreamNotFound(apiError(JetStreamApiCodes.StreamNotFound, 'stream not found'))).toBe(true);
    expect(isStreamNotFound(apiError(JetStreamApiCodes.ConsumerNotFound, 'consumer not found'))).toBe(false);
    expect(isStreamNotFound(new Error('stream not found'))).toBe(true);
  });
});
