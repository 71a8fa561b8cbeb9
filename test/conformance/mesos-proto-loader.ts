import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { GOGO_PROTO_ROOT, MESOS_PROTO_ROOT } from '../helpers/prerequisites';
import { MesosProtosMissingError, UnknownMessageTypeError } from './conformance-errors';

/**
 * Loads the Mesos v1 protos that Debian ships (mesos-go 0.0.6, about Mesos 1.4) into one
 * protobufjs Root, field names kept exactly as written (snake_case, as Mesos JSON uses them).
 */

/** Where Debian's Go packages put their sources; every import in the protos is relative to it. */
const GOCODE_SRC = '/usr/share/gocode/src';
const MESOS_PACKAGE = 'golang-github-mesos-mesos-go-dev';
const GOGO_PACKAGE = 'golang-github-gogo-protobuf-dev';

const ENTRY_FILES = [
  'github.com/mesos/mesos-go/api/v1/lib/mesos.proto',
  'github.com/mesos/mesos-go/api/v1/lib/scheduler/scheduler.proto',
  'github.com/mesos/mesos-go/api/v1/lib/master/master.proto',
];

/**
 * The master-to-client additions of Mesos 1.5+, with the numbers upstream gave them (apache/mesos
 * include/mesos/v1/master/master.proto and mesos.proto): the three DESIGN.md allows, plus the
 * reason MARK_AGENT_GONE gives (REASON_AGENT_REMOVED_BY_OPERATOR = 31), which issue 9 asks the
 * simulator to send as a 1.5+ master does. Nothing else is added: everything a framework sends
 * must fit the Debian protos as they are.
 */
export const MESOS_15_ADDITIONS = [
  { kind: 'enum-value', enumName: 'mesos.master.Event.Type', name: 'HEARTBEAT', id: 9 },
  {
    kind: 'field',
    typeName: 'mesos.master.Event.Subscribed',
    name: 'heartbeat_interval_seconds',
    id: 2,
    type: 'double',
  },
  { kind: 'enum-value', enumName: 'mesos.TaskStatus.Reason', name: 'REASON_AGENT_REREGISTERED', id: 32 },
  { kind: 'enum-value', enumName: 'mesos.TaskStatus.Reason', name: 'REASON_AGENT_REMOVED_BY_OPERATOR', id: 31 },
] as const;

let cached: protobuf.Root | undefined;

/** Fail with the Debian package to install when the protos are absent. */
export function assertProtosPresent(mesosRoot = MESOS_PROTO_ROOT, gogoRoot = GOGO_PROTO_ROOT): void {
  const mesosProto = join(mesosRoot, 'mesos.proto');
  if (!existsSync(mesosProto)) {
    throw new MesosProtosMissingError(
      `Mesos v1 protos not found at ${mesosProto}: install them with 'apt-get install ${MESOS_PACKAGE}'`,
      MESOS_PACKAGE,
    );
  }
  const gogoProto = join(gogoRoot, 'gogoproto', 'gogo.proto');
  if (!existsSync(gogoProto)) {
    throw new MesosProtosMissingError(
      `gogo.proto (imported by the Mesos protos) not found at ${gogoProto}: install it with 'apt-get install ${GOGO_PACKAGE}'`,
      GOGO_PACKAGE,
    );
  }
}

/** Imports are Go-style paths under GOCODE_SRC; google/protobuf/* comes from the gogo package. */
function resolveImport(_origin: string, target: string): string {
  if (isAbsolute(target)) return target;
  if (target.startsWith('google/protobuf/')) return join(GOGO_PROTO_ROOT, 'protobuf', target);
  return join(GOCODE_SRC, target);
}

function applyAdditions(root: protobuf.Root): void {
  for (const add of MESOS_15_ADDITIONS) {
    if (add.kind === 'enum-value') {
      const en = root.lookupEnum(add.enumName);
      // A newer proto set may already carry it; adding twice would throw.
      if (!(add.name in en.values)) en.add(add.name, add.id);
    } else {
      const type = root.lookupType(add.typeName);
      if (!type.fields[add.name]) type.add(new protobuf.Field(add.name, add.id, add.type, 'optional'));
    }
  }
}

/** The loaded, resolved Root with the additions. Loaded once per process. */
export function mesosProtoRoot(): protobuf.Root {
  if (cached) return cached;
  assertProtosPresent();
  const root = new protobuf.Root();
  root.resolvePath = resolveImport;
  try {
    root.loadSync(ENTRY_FILES, { keepCase: true });
  } catch (err) {
    throw new MesosProtosMissingError(
      `the Mesos protos under ${MESOS_PROTO_ROOT} could not be loaded; reinstall '${MESOS_PACKAGE}' and '${GOGO_PACKAGE}'`,
      MESOS_PACKAGE,
      { cause: err },
    );
  }
  applyAdditions(root);
  root.resolveAll();
  cached = root;
  return root;
}

/**
 * Find a message type by name. Upstream Mesos names its packages `mesos.v1.*`; the Debian copies
 * drop the `v1`, so both `mesos.v1.scheduler.Call` and `mesos.scheduler.Call` are accepted.
 */
export function lookupMesosType(typeName: string): protobuf.Type {
  const root = mesosProtoRoot();
  const local = typeName.replace(/^\.?mesos\.v1(\.|$)/, 'mesos$1').replace(/^\./, '');
  const found = root.lookup(local);
  if (found instanceof protobuf.Type) return found;
  throw new UnknownMessageTypeError(
    `no Mesos message type '${typeName}' in the loaded protos (looked up as '${local}'); ` +
      `use a full name such as 'mesos.v1.scheduler.Call' or 'mesos.v1.TaskID'`,
  );
}
