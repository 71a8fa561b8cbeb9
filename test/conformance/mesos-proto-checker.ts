import protobuf from 'protobufjs';
import { z } from 'zod';
import { childPath, describeValue, isPlainObject, lineShapeViolations, readJsonLines } from './jsonl';
import { lookupMesosType } from './mesos-proto-loader';

/**
 * Holds Mesos JSON (as sent or received on the v1 scheduler and operator APIs) to the Debian
 * Mesos v1 protos, strictly: no unknown fields, proto2 `required` fields present at every level,
 * enums as valid names, scalars of the right JSON type and range. Violations are returned as
 * strings that start with a JSON path, e.g. `$.subscribe.framework_info.user: required field missing`.
 */

const INT32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const UINT32 = { min: 0n, max: 2n ** 32n - 1n };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const UINT64 = { min: 0n, max: 2n ** 64n - 1n };
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_ENUM_NAMES_SHOWN = 12;

/** Check one JSON value against a Mesos message type; `[]` means it conforms. */
export function checkMessage(typeName: string, json: unknown): string[] {
  return checkMessageAt(typeName, json, '$');
}

/** As checkMessage, with violation paths rooted at `rootPath` (e.g. `body`). */
export function checkMessageAt(typeName: string, json: unknown, rootPath: string): string[] {
  const out: string[] = [];
  checkMessageValue(lookupMesosType(typeName), json, rootPath, out);
  return out;
}

function checkMessageValue(type: protobuf.Type, value: unknown, path: string, out: string[]): void {
  if (!isPlainObject(value)) {
    out.push(`${path}: must be an object (${typeLabel(type)}), got ${describeValue(value)}`);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key];
    if (!field) {
      out.push(`${childPath(path, key)}: unknown field '${key}' in ${typeLabel(type)}${suggestField(type, key)}`);
      continue;
    }
    checkField(field, v, childPath(path, key), out);
  }
  for (const field of type.fieldsArray) {
    if (field.required && value[field.name] === undefined) {
      out.push(`${childPath(path, field.name)}: required field missing (${typeLabel(type)})`);
    }
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.oneof.filter((name) => value[name] !== undefined);
    if (set.length > 1) out.push(`${path}: only one of ${set.join(', ')} may be set (oneof ${oneof.name})`);
  }
}

function checkField(field: protobuf.Field, value: unknown, path: string, out: string[]): void {
  if (value === null) {
    out.push(`${path}: null is not a valid ${field.type}; omit the field instead`);
    return;
  }
  if (field instanceof protobuf.MapField) {
    if (!isPlainObject(value)) {
      out.push(`${path}: must be an object (map<${field.keyType}, ${field.type}>), got ${describeValue(value)}`);
      return;
    }
    for (const [k, v] of Object.entries(value)) checkSingle(field, v, childPath(path, k), out);
    return;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) {
      out.push(`${path}: must be an array (repeated ${field.type}), got ${describeValue(value)}`);
      return;
    }
    value.forEach((el, i) => checkSingle(field, el, childPath(path, i), out));
    return;
  }
  checkSingle(field, value, path, out);
}

function checkSingle(field: protobuf.Field, value: unknown, path: string, out: string[]): void {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) {
    checkMessageValue(resolved, value, path, out);
    return;
  }
  if (resolved instanceof protobuf.Enum) {
    checkEnum(resolved, value, path, out);
    return;
  }
  const problem = scalarProblem(field.type, value);
  if (problem) out.push(`${path}: ${problem}, got ${describeValue(value)}`);
}

function checkEnum(en: protobuf.Enum, value: unknown, path: string, out: string[]): void {
  if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(en.values, value)) return;
  const names = Object.keys(en.values);
  const shown = names.slice(0, MAX_ENUM_NAMES_SHOWN).join(', ') + (names.length > MAX_ENUM_NAMES_SHOWN ? ', ...' : '');
  const what = typeof value === 'string' ? `'${value}' is not a value name of` : `must be a value name (string) of`;
  out.push(`${path}: ${what} ${typeLabel(en)} (one of ${shown})${typeof value === 'string' ? '' : `, got ${describeValue(value)}`}`);
}

/** Why `value` is not valid JSON for proto scalar `protoType`, or undefined when it is. */
export function scalarProblem(protoType: string, value: unknown): string | undefined {
  switch (protoType) {
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return smallIntProblem(value, INT32, protoType);
    case 'uint32':
    case 'fixed32':
      return smallIntProblem(value, UINT32, protoType);
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return bigIntProblem(value, INT64, protoType);
    case 'uint64':
    case 'fixed64':
      return bigIntProblem(value, UINT64, protoType);
    case 'double':
    case 'float':
      // Lossless parsing turns a huge integral JSON number into a bigint; it is still a number.
      if (typeof value === 'bigint' || (typeof value === 'number' && Number.isFinite(value))) return undefined;
      return `must be a number (${protoType})`;
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'must be true or false (bool)';
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'bytes':
      if (typeof value === 'string' && BASE64.test(value)) return undefined;
      return 'must be a base64 string (bytes)';
    default:
      return `has unsupported proto type ${protoType}`;
  }
}

function smallIntProblem(value: unknown, range: { min: bigint; max: bigint }, t: string): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return `must be an integer number (${t})`;
  const v = BigInt(value);
  return v < range.min || v > range.max ? `is out of range for ${t}` : undefined;
}

/** int64: a JSON integer (number, or bigint past 2^53) or a decimal string, as proto3 JSON allows. */
function bigIntProblem(value: unknown, range: { min: bigint; max: bigint }, t: string): string | undefined {
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isInteger(value)) v = BigInt(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value)) v = BigInt(value);
  else return `must be an integer (${t}: a JSON integer or a decimal string)`;
  return v < range.min || v > range.max ? `is out of range for ${t}` : undefined;
}

/** Upstream-style name (mesos.v1.*) so messages match the Mesos documentation. */
function typeLabel(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\.mesos(\.|$)/, 'mesos.v1$1');
}

/** A hint for the usual mistake: camelCase where Mesos JSON wants the snake_case proto name. */
function suggestField(type: protobuf.Type, key: string): string {
  const norm = key.replace(/_/g, '').toLowerCase();
  const match = type.fieldsArray.find((f) => f.name.replace(/_/g, '').toLowerCase() === norm);
  return match ? ` (did you mean '${match.name}'?)` : '';
}

// ---- recordings -------------------------------------------------------------------------------

const MESOS_TYPES: Record<string, Record<string, string | undefined>> = {
  scheduler: { call: 'mesos.v1.scheduler.Call', event: 'mesos.v1.scheduler.Event', response: undefined },
  operator: { call: 'mesos.v1.master.Call', event: 'mesos.v1.master.Event', response: 'mesos.v1.master.Response' },
};

const mesosLineSchema = z.strictObject({
  ts: z.iso.datetime({ offset: true }),
  api: z.enum(['scheduler', 'operator']),
  dir: z.enum(['call', 'event', 'response']),
  body: z.unknown(),
});

/** Check one parsed line of DIR/mesos.jsonl: its own shape and its body against the protos. */
export function checkMesosRecord(line: unknown): string[] {
  const shape = lineShapeViolations(mesosLineSchema, line);
  if (shape.length > 0) return shape;
  const { api, dir, body } = mesosLineSchema.parse(line);
  const typeName = MESOS_TYPES[api]?.[dir];
  if (!typeName) {
    return [`$.dir: '${dir}' is not possible on the ${api} API (it answers calls with events, not Response messages)`];
  }
  return checkMessageAt(typeName, body, 'body');
}

/** Check a whole mesos.jsonl; each violation starts with `FILE:LINE:`. */
export function checkMesosRecordingFile(path: string): { lines: number; violations: string[] } {
  const lines = readJsonLines(path);
  const violations: string[] = [];
  for (const line of lines) {
    if ('parseError' in line) {
      violations.push(`${path}:${line.lineNo}: not JSON (${line.parseError})`);
      continue;
    }
    for (const v of checkMesosRecord(line.value)) violations.push(`${path}:${line.lineNo}: ${v}`);
  }
  return { lines: lines.length, violations };
}
