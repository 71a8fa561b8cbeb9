import protobuf from 'protobufjs';
import { GOGO_PROTO_ROOT, MESOS_PROTO_ROOT } from '../../helpers/prerequisites';

/**
 * A strict check of Mesos JSON against the mesos-go protos (DESIGN.md): no unknown fields,
 * required fields present, enum values by name, scalars of the right JSON kind.
 */
const GOCODE = MESOS_PROTO_ROOT.slice(0, MESOS_PROTO_ROOT.indexOf('github.com/'));

let root: protobuf.Root | undefined;

function loadRoot(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (origin, target) => {
    if (target.startsWith('github.com/')) return GOCODE + target;
    if (target.startsWith('google/protobuf/')) return `${GOGO_PROTO_ROOT}/protobuf/${target}`;
    return protobuf.util.path.resolve(origin, target);
  };
  r.loadSync([`${MESOS_PROTO_ROOT}/scheduler/scheduler.proto`, `${MESOS_PROTO_ROOT}/master/master.proto`], {
    keepCase: true,
  });
  r.resolveAll();
  root = r;
  return r;
}

const INTEGER_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const INT64_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** Every way `value` breaks message type `typeName` (e.g. "mesos.scheduler.Call"); [] if none. */
export function protoViolations(typeName: string, value: unknown): string[] {
  const type = loadRoot().lookupType(typeName);
  const out: string[] = [];
  checkMessage(type, value, typeName, out);
  return out;
}

function checkMessage(type: protobuf.Type, value: unknown, path: string, out: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    out.push(`${path}: expected a ${type.name} object`);
    return;
  }
  const obj = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(obj)) {
    const field = type.fields[key];
    if (!field) {
      out.push(`${path}.${key}: no such field in ${type.fullName}`);
      continue;
    }
    if (field.repeated) {
      if (!Array.isArray(v)) out.push(`${path}.${key}: expected an array`);
      else v.forEach((item, i) => checkValue(field, item, `${path}.${key}[${i}]`, out));
    } else checkValue(field, v, `${path}.${key}`, out);
  }
  for (const field of type.fieldsArray) {
    if (field.required && !(field.name in obj)) out.push(`${path}.${field.name}: required field missing`);
  }
}

function checkValue(field: protobuf.Field, v: unknown, path: string, out: string[]): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return checkMessage(resolved, v, path, out);
  if (resolved instanceof protobuf.Enum) {
    if (typeof v !== 'string' || !(v in resolved.values)) out.push(`${path}: ${String(v)} is not a ${resolved.name}`);
    return;
  }
  const t = field.type;
  const ok =
    t === 'string'
      ? typeof v === 'string'
      : t === 'bool'
        ? typeof v === 'boolean'
        : t === 'double' || t === 'float'
          ? typeof v === 'number'
          : t === 'bytes'
            ? typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v)
            : INTEGER_TYPES.has(t)
              ? Number.isInteger(v)
              : INT64_TYPES.has(t)
                ? Number.isInteger(v) || typeof v === 'bigint'
                : false;
  if (!ok) out.push(`${path}: ${typeof v} is not a valid ${t}`);
}
