import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const MESOS_PROTO_ROOT = '/usr/share/gocode/src/github.com/mesos/mesos-go/api/v1/lib';
export const GOGO_PROTO_ROOT = '/usr/share/gocode/src/github.com/gogo/protobuf';

/** Find an executable on PATH or in the sbin folders Debian installs daemons into. */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface Prerequisite {
  what: string;
  debianPackage: string;
  present: () => boolean;
}

export const PREREQUISITES: Prerequisite[] = [
  { what: 'nats-server binary', debianPackage: 'nats-server', present: () => !!findExecutable('nats-server') },
  {
    what: `Mesos v1 protos (${MESOS_PROTO_ROOT}/mesos.proto)`,
    debianPackage: 'golang-github-mesos-mesos-go-dev',
    present: () => existsSync(join(MESOS_PROTO_ROOT, 'mesos.proto')),
  },
  {
    what: `gogo protobuf protos (${GOGO_PROTO_ROOT}/gogoproto/gogo.proto)`,
    debianPackage: 'golang-github-gogo-protobuf-dev',
    present: () => existsSync(join(GOGO_PROTO_ROOT, 'gogoproto', 'gogo.proto')),
  },
];

/** Messages naming the Debian package for each missing prerequisite. */
export function missingPrerequisites(): string[] {
  return PREREQUISITES.filter((p) => !p.present()).map(
    (p) => `missing ${p.what}: install it with 'apt-get install ${p.debianPackage}'`,
  );
}
