/**
 * Portworx's legacy REST (port 9001) group-snapshot route, which the SDK document lacks.
 * The handler decodes an openstorage `GroupSnapCreateRequest` and encodes a
 * `GroupSnapCreateResponse` with Go's encoding/json, so the JSON names are the proto field
 * names (including the capitalised `Labels`); on failure it answers 400 with a plain-text body
 * (http.Error). Sources: libopenstorage/openstorage api/server/volume.go (snapGroup),
 * api/server/server.go (sendError), api/client/volume/client.go (SnapshotGroup), and the
 * generated API reference of api/api.proto.
 */

export const LEGACY_GROUP_SNAPSHOT_PATH = '/v1/osd-snapshot/snapshotgroup';
export const LEGACY_GROUP_SNAPSHOT_METHOD = 'POST';

const stringMap = { type: 'object', additionalProperties: { type: 'string' } };

export const groupSnapCreateRequestSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    Labels: stringMap,
    volume_ids: { type: 'array', items: { type: 'string' } },
    delete_on_failure: { type: 'boolean' },
  },
  additionalProperties: false,
};

const snapCreateResponseSchema = {
  type: 'object',
  properties: {
    volume_create_response: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        volume_response: {
          type: 'object',
          properties: { error: { type: 'string' } },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};

export const groupSnapCreateResponseSchema = {
  type: 'object',
  properties: {
    snapshots: { type: 'object', additionalProperties: snapCreateResponseSchema },
    error: { type: 'string' },
  },
  additionalProperties: false,
};
