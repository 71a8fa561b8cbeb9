import { describe, expect, it } from 'vitest';
import { GOGO_PROTO_ROOT, MESOS_PROTO_ROOT } from '../helpers/prerequisites';
import { MesosProtosMissingError, OpenApiSpecMissingError } from './conformance-errors';
import { assertProtosPresent, MESOS_15_ADDITIONS, mesosProtoRoot } from './mesos-proto-loader';
import { assertSpecPresent } from './openapi-document';

describe('what the checkers need, and how they say it is missing', () => {
  it('names the Debian package when the Mesos protos are missing', () => {
    const missing = () => assertProtosPresent('/nonexistent/mesos-go/lib', GOGO_PROTO_ROOT);
    expect(missing).toThrow(MesosProtosMissingError);
    expect(missing).toThrow("install them with 'apt-get install golang-github-mesos-mesos-go-dev'");
  });

  it('names the Debian package when gogo.proto is missing', () => {
    expect(() => assertProtosPresent(MESOS_PROTO_ROOT, '/nonexistent/gogo')).toThrow(
      "install it with 'apt-get install golang-github-gogo-protobuf-dev'",
    );
  });

  it('says where it looked for the SDK OpenAPI document', () => {
    const missing = () => assertSpecPresent('/nonexistent/shared/spec/openstorage-sdk.openapi.json');
    expect(missing).toThrow(OpenApiSpecMissingError);
    expect(missing).toThrow(/not found at \/nonexistent\/shared\/spec\/openstorage-sdk\.openapi\.json/);
  });

  it('loads the real protos with exactly the four 1.5+ master-to-client additions, at upstream numbers', () => {
    const root = mesosProtoRoot();
    expect(root.lookupEnum('mesos.master.Event.Type').values.HEARTBEAT).toBe(9);
    expect(root.lookupType('mesos.master.Event.Subscribed').fields.heartbeat_interval_seconds?.id).toBe(2);
    expect(root.lookupEnum('mesos.TaskStatus.Reason').values.REASON_AGENT_REREGISTERED).toBe(32);
    expect(root.lookupEnum('mesos.TaskStatus.Reason').values.REASON_AGENT_REMOVED_BY_OPERATOR).toBe(31);
    expect(MESOS_15_ADDITIONS).toHaveLength(4);
  });
});
