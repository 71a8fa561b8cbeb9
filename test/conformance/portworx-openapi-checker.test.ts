import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/record/recorder';
import { SDK_OPENAPI_PATH } from './openapi-document';
import {
  checkPortworxExchange,
  checkPortworxRecord,
  checkPortworxRecordingFile,
  type PortworxExchange,
} from './portworx-openapi-checker';

const VOLUME_ID = '1083742119428716375';

function createVolume(): PortworxExchange {
  return {
    method: 'POST',
    path: '/v1/volumes',
    status: 200,
    request: {
      name: 'pxfw-cassandra-node-0-data',
      spec: {
        size: '107374182400',
        format: 'FS_TYPE_XFS',
        ha_level: '3',
        io_profile: 'IO_PROFILE_DB_REMOTE',
        cos: 'HIGH',
        replica_set: { nodes: ['px-node-a', 'px-node-b', 'px-node-c'] },
        volume_labels: { 'pxfw.service': 'cassandra' },
      },
      labels: { 'pxfw.service': 'cassandra', 'pxfw.pod': 'node-0' },
    },
    response: { volume_id: VOLUME_ID },
  };
}

function inspectVolume(): PortworxExchange {
  return {
    method: 'GET',
    path: `/v1/volumes/inspect/${VOLUME_ID}?options.deep=true`,
    status: 200,
    request: null,
    response: {
      name: 'pxfw-cassandra-node-0-data',
      labels: { 'pxfw.service': 'cassandra' },
      volume: {
        id: VOLUME_ID,
        locator: { name: 'pxfw-cassandra-node-0-data', volume_labels: { 'pxfw.service': 'cassandra' } },
        ctime: '2025-11-26T00:00:00Z',
        spec: { size: '107374182400', format: 'FS_TYPE_XFS', ha_level: '3' },
        usage: '524288',
        format: 'FS_TYPE_XFS',
        status: 'VOLUME_STATUS_UP',
        state: 'VOLUME_STATE_ATTACHED',
        attached_on: '10.0.1.13',
        device_path: '/dev/pxd/pxd1083742119428716375',
        attach_path: ['/var/lib/osd/mounts/pxfw-cassandra-node-0-data'],
        replica_sets: [{ nodes: ['px-node-a', 'px-node-b', 'px-node-c'] }],
      },
    },
  };
}

function groupSnapshot(): PortworxExchange {
  return {
    method: 'POST',
    path: '/v1/osd-snapshot/snapshotgroup',
    status: 200,
    request: { id: 'pxfw-cassandra-20251126', Labels: { 'pxfw.service': 'cassandra' }, volume_ids: [VOLUME_ID], delete_on_failure: true },
    response: {
      snapshots: {
        [VOLUME_ID]: { volume_create_response: { id: '771234', volume_response: { error: '' } } },
      },
      error: '',
    },
  };
}

describe('checkPortworxExchange against the OpenStorage SDK OpenAPI document', () => {
  it('finds the document beside the repository', () => {
    expect(SDK_OPENAPI_PATH).toMatch(/shared\/spec\/openstorage-sdk\.openapi\.json$/);
  });

  describe('accepts well-formed exchanges', () => {
    it('a volume create request and its response (int64 as strings, enums as names)', () => {
      expect(checkPortworxExchange(createVolume())).toEqual([]);
    });

    it('a volume inspect with a path parameter and a query string', () => {
      expect(checkPortworxExchange(inspectVolume())).toEqual([]);
    });

    it('a request that got no answer (status 0, response null), still checking what was sent', () => {
      expect(checkPortworxExchange({ ...createVolume(), status: 0, response: null })).toEqual([]);
      const badRequest = { ...createVolume(), status: 0, response: null, request: { name: 'v', spec: { size: 1 } } };
      expect(checkPortworxExchange(badRequest).join('\n')).toMatch(/request\.spec\.size/);
      expect(checkPortworxExchange({ ...createVolume(), status: 0, response: {} })).toEqual([
        'response: a request with no answer (status 0) has no response body',
      ]);
    });

    it('an error response with its gRPC code and the matching HTTP status', () => {
      const conflict = { error: 'volume attached on 10.0.1.12', code: 6, message: 'volume attached on 10.0.1.12', details: [] };
      expect(checkPortworxExchange({ ...createVolume(), status: 409, response: conflict })).toEqual([]);
    });

    it('an empty success body where the SDK message has no fields', () => {
      const del: PortworxExchange = { method: 'DELETE', path: `/v1/volumes/${VOLUME_ID}`, status: 200, request: null, response: {} };
      expect(checkPortworxExchange(del)).toEqual([]);
    });

    it('a DELETE of a volume whose id equals a literal route segment (the method is matched first)', () => {
      const del: PortworxExchange = { method: 'DELETE', path: '/v1/volumes/snapshots', status: 200, request: null, response: {} };
      expect(checkPortworxExchange(del)).toEqual([]);
    });

    it('a streamed alerts response recorded as an array of stream results', () => {
      const alerts: PortworxExchange = {
        method: 'POST',
        path: '/v1/alerts/filters',
        status: 200,
        request: { queries: [{ resource_type_query: { resource_type: 'RESOURCE_TYPE_NODE' } }] },
        response: [
          { result: { alerts: [{ id: '17', severity: 'SEVERITY_TYPE_ALARM', resource: 'RESOURCE_TYPE_NODE', resource_id: 'px-node-b', timestamp: '2025-11-26T00:00:05Z' }] } },
          { result: { alerts: [] } },
        ],
      };
      expect(checkPortworxExchange(alerts)).toEqual([]);
    });

    it('a stream that failed before its first message: the runtimeStreamError chunk under the error status', () => {
      const chunk = {
        error: { grpc_code: 3, http_code: 400, message: 'Must provide at least one query', http_status: 'Bad Request', details: [] },
      };
      const failed: PortworxExchange = { method: 'POST', path: '/v1/alerts/filters', status: 400, request: { queries: [] }, response: chunk };
      // The client records the chunk itself, the simulator the array of streamed lines.
      expect(checkPortworxExchange(failed)).toEqual([]);
      expect(checkPortworxExchange({ ...failed, response: [chunk] })).toEqual([]);
      // A runtimeError body stays acceptable there too (an error before the stream starts).
      const plain = { error: 'bad body', code: 3, message: 'bad body', details: [] };
      expect(checkPortworxExchange({ ...failed, response: plain })).toEqual([]);
    });

    it('the legacy group-snapshot route, success and plain-text failure', () => {
      expect(checkPortworxExchange(groupSnapshot())).toEqual([]);
      expect(checkPortworxExchange({ ...groupSnapshot(), status: 400, response: 'volume not found\n' })).toEqual([]);
    });
  });

  describe('reports malformed exchanges with where the problem is', () => {
    it('a wrong type in the request body (an int64 sent as a JSON number)', () => {
      const ex = createVolume() as { request: { spec: Record<string, unknown> } } & PortworxExchange;
      ex.request.spec.size = 107374182400;
      expect(checkPortworxExchange(ex)).toEqual(['request.spec.size: must be string, got 107374182400']);
    });

    it('a non-decimal int64 string', () => {
      const ex = createVolume() as { request: { spec: Record<string, unknown> } } & PortworxExchange;
      ex.request.spec.ha_level = 'three';
      expect(checkPortworxExchange(ex)).toEqual([
        'request.spec.ha_level: must be a decimal string (the SDK sends int64 as a string), got "three"',
      ]);
    });

    it('an unknown field, naming the SDK message it is not in', () => {
      const ex = createVolume() as { request: { spec: Record<string, unknown> } } & PortworxExchange;
      ex.request.spec.replicas = 3;
      expect(checkPortworxExchange(ex)).toEqual(['request.spec.replicas: unknown field in apiVolumeSpec']);
    });

    it('a bad enum name in a response', () => {
      const ex = inspectVolume() as { response: { volume: Record<string, unknown> } } & PortworxExchange;
      ex.response.volume.status = 'UP';
      const [violation, ...rest] = checkPortworxExchange(ex);
      expect(rest).toEqual([]);
      expect(violation).toMatch(/^response\.volume\.status: "UP" is not one of VOLUME_STATUS_NONE, /);
    });

    it('an unknown route', () => {
      const ex = { ...createVolume(), path: '/v1/volumes/replace/abc' };
      expect(checkPortworxExchange(ex)).toEqual(['path: no OpenStorage SDK route matches POST /v1/volumes/replace/abc (unknown route)']);
    });

    it('a method the route does not have', () => {
      const [violation] = checkPortworxExchange({ ...inspectVolume(), method: 'POST' });
      expect(violation).toMatch(/^path: POST is not an SDK operation on \/v1\/volumes\/inspect\/.* \(the document has GET \/v1\/volumes\/inspect\/\{volume_id\}\)$/);
    });

    it('an unknown or ill-typed query parameter', () => {
      const ex = { ...inspectVolume(), path: `/v1/volumes/inspect/${VOLUME_ID}?options.deep=yes&verbose=1` };
      expect(checkPortworxExchange(ex)).toEqual([
        'query.options.deep: must be true or false, got "yes"',
        'query.verbose: not a parameter of OpenStorageVolume_Inspect (known: options.deep)',
      ]);
    });

    it('a body on an operation that takes none, and a missing body where one is required', () => {
      expect(checkPortworxExchange({ ...inspectVolume(), request: {} })).toEqual([
        'request: GET /v1/volumes/inspect/{volume_id} takes no body, but one was sent',
      ]);
      expect(checkPortworxExchange({ ...createVolume(), request: null })).toEqual([
        'request: body required by OpenStorageVolume_Create',
      ]);
    });

    it('a success status the document does not list', () => {
      expect(checkPortworxExchange({ ...createVolume(), status: 201 })).toEqual([
        'status: 201 is not documented for OpenStorageVolume_Create (documented: 200, default)',
      ]);
    });

    it('an error body whose gRPC code does not fit the HTTP status', () => {
      const notFound = { error: 'no such volume', code: 5, message: 'no such volume' };
      expect(checkPortworxExchange({ ...inspectVolume(), status: 409, response: notFound })).toEqual([
        'status: 409 does not match gRPC code 5 (the gateway answers 404)',
      ]);
    });

    it('an invented field in an error body', () => {
      const body = { error: 'x', code: 5, message: 'x', reason: 'gone' };
      expect(checkPortworxExchange({ ...inspectVolume(), status: 404, response: body })).toEqual([
        'response.reason: unknown field in runtimeError',
      ]);
    });

    it('a bad element inside a streamed response, by its index', () => {
      const alerts: PortworxExchange = {
        method: 'POST',
        path: '/v1/alerts/filters',
        status: 200,
        request: { queries: [] },
        response: [{ result: { alerts: [] } }, { result: { alerts: [{ id: 17 }] } }],
      };
      expect(checkPortworxExchange(alerts)).toEqual(['response[1].result.alerts[0].id: must be string, got 17']);
    });

    it('a stream error chunk with an invented field, a code that does not fit the status, or more than one line', () => {
      const failed: PortworxExchange = {
        method: 'POST',
        path: '/v1/alerts/filters',
        status: 400,
        request: { queries: [] },
        response: { error: { grpc_code: 5, http_code: 404, message: 'x', reason: 'y' } },
      };
      expect(checkPortworxExchange(failed)).toEqual([
        'response.error.reason: unknown field in runtimeStreamError',
        'status: 400 does not match gRPC code 5 (the gateway answers 404)',
        'response.error.http_code: 404 differs from the response status 400',
      ]);
      const twoLines = [{ error: { grpc_code: 3, http_code: 400 } }, { error: { grpc_code: 3, http_code: 400 } }];
      expect(checkPortworxExchange({ ...failed, response: twoLines })).toEqual([
        'response: a stream that failed with status 400 carries exactly one error chunk, got 2 lines',
      ]);
      // A unary operation has no stream chunk: its errors are runtimeError bodies only.
      const unary = { ...inspectVolume(), status: 404, response: { error: { grpc_code: 5, http_code: 404 } } };
      expect(checkPortworxExchange(unary)).toContain('response.error: must be string, got an object');
    });

    it('an unknown field or a wrong method on the legacy group-snapshot route', () => {
      const ex = groupSnapshot() as { request: Record<string, unknown> } & PortworxExchange;
      ex.request.labels = {};
      expect(checkPortworxExchange(ex)).toEqual(['request.labels: unknown field']);
      expect(checkPortworxExchange({ ...groupSnapshot(), method: 'GET' })).toEqual([
        'path: the legacy group-snapshot route takes POST only, got GET',
      ]);
    });
  });
});

describe('checkPortworxRecord and checkPortworxRecordingFile', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('checks the line shape and prefixes exchange violations with the method and path', () => {
    const { request: _request, ...noRequest } = { ts: '2025-11-26T00:00:00.000Z', ...createVolume() };
    expect(checkPortworxRecord(noRequest)).toEqual(['$.request: required field missing (null when there is no body)']);
    expect(checkPortworxRecord({ ts: '2025-11-26T00:00:00.000Z', ...createVolume(), path: '/v2/volumes' })).toEqual([
      'POST /v2/volumes: path: no OpenStorage SDK route matches POST /v2/volumes (unknown route)',
    ]);
  });

  it('reads what the Recorder writes and reports FILE:LINE for each violation', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxfw-conf-'));
    dirs.push(dir);
    const rec = Recorder.toDir(dir);
    rec.portworx(createVolume());
    rec.portworx(inspectVolume());
    rec.portworx({ ...groupSnapshot(), request: { id: 'g', volumeIds: [] } });
    const file = join(dir, 'portworx.jsonl');
    expect(checkPortworxRecordingFile(file)).toEqual({
      lines: 3,
      violations: [`${file}:3: POST /v1/osd-snapshot/snapshotgroup: request.volumeIds: unknown field`],
    });
  });
});
