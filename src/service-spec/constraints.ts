import type { SpecIssue } from './errors';

/** Marathon constraint operators (see mesosphere/marathon docs/docs/constraints.md). */
export const CONSTRAINT_OPERATORS = [
  'UNIQUE',
  'CLUSTER',
  'GROUP_BY',
  'MAX_PER',
  'LIKE',
  'UNLIKE',
  'IS',
  'IS_NOT',
] as const;
export type ConstraintOperator = (typeof CONSTRAINT_OPERATORS)[number];

/** One Marathon-style constraint: field (hostname, @hostname, @zone, @region or an agent attribute). */
export interface PlacementConstraint {
  field: string;
  operator: ConstraintOperator;
  value?: string;
}

/** Fields that come from the agent itself rather than from an attribute of that name. */
export const BUILTIN_FIELDS = ['hostname', '@hostname', '@zone', '@region'] as const;

const OPERATOR_SET: ReadonlySet<string> = new Set(CONSTRAINT_OPERATORS);

/** Canonical render, the same string form the spec accepts: `hostname:UNIQUE`, `@zone:GROUP_BY:3`. */
export function formatConstraint(c: PlacementConstraint): string {
  return c.value === undefined ? `${c.field}:${c.operator}` : `${c.field}:${c.operator}:${c.value}`;
}

/**
 * Read the `placement` field: a YAML list of `[field, OPERATOR, value?]` lists, a JSON string of
 * the same, or the string form `field:OPERATOR[:value],…`. Issues are reported under `path`.
 */
export function parseConstraints(
  input: unknown,
  path: string,
  issues: SpecIssue[],
): PlacementConstraint[] {
  if (input === undefined || input === null || input === '') return [];
  let rows: unknown[];
  if (typeof input === 'string') {
    const text = input.trim();
    if (text.startsWith('[')) {
      try {
        rows = JSON.parse(text) as unknown[];
      } catch (err) {
        issues.push({ path, message: `not valid JSON constraint list: ${(err as Error).message}` });
        return [];
      }
      if (!Array.isArray(rows)) rows = [rows];
    } else {
      // A regex holding ',' or ':' cannot be written in this form; the list form takes any value.
      rows = text.split(',').map((part) => {
        const [field, operator, ...rest] = part.trim().split(':');
        return rest.length > 0 ? [field, operator, rest.join(':')] : [field, operator];
      });
    }
  } else if (Array.isArray(input)) {
    rows = input;
  } else {
    issues.push({ path, message: 'expected a list of [field, OPERATOR, value] or a string like "hostname:UNIQUE"' });
    return [];
  }
  const out: PlacementConstraint[] = [];
  rows.forEach((row, i) => {
    const c = parseOne(row, `${path}[${i}]`, issues);
    if (c) out.push(c);
  });
  return out;
}

function parseOne(row: unknown, path: string, issues: SpecIssue[]): PlacementConstraint | undefined {
  if (!Array.isArray(row) || row.length < 2 || row.length > 3) {
    issues.push({ path, message: 'expected [field, OPERATOR] or [field, OPERATOR, value]' });
    return undefined;
  }
  const [field, operator, rawValue] = row as unknown[];
  if (typeof field !== 'string' || field.trim() === '') {
    issues.push({ path: `${path}[0]`, message: 'expected a field name such as hostname, @zone or rack' });
    return undefined;
  }
  if (field.startsWith('@') && !(BUILTIN_FIELDS as readonly string[]).includes(field)) {
    issues.push({
      path: `${path}[0]`,
      message: `unknown fault-domain field '${field}': use @hostname, @zone, @region, or an attribute name without '@'`,
    });
    return undefined;
  }
  if (typeof operator !== 'string' || !OPERATOR_SET.has(operator)) {
    issues.push({ path: `${path}[1]`, message: `expected one of ${CONSTRAINT_OPERATORS.join(', ')}; got ${JSON.stringify(operator)}` });
    return undefined;
  }
  const value =
    rawValue === undefined || rawValue === null || rawValue === '' ? undefined : String(rawValue);
  const problem = checkValue(operator as ConstraintOperator, value);
  if (problem) {
    issues.push({ path: `${path}[2]`, message: problem });
    return undefined;
  }
  const c: PlacementConstraint = { field: field.trim(), operator: operator as ConstraintOperator };
  if (value !== undefined) c.value = value;
  return c;
}

function checkValue(operator: ConstraintOperator, value: string | undefined): string | undefined {
  switch (operator) {
    case 'UNIQUE':
      return value === undefined ? undefined : 'UNIQUE takes no value';
    case 'CLUSTER':
      return undefined;
    case 'GROUP_BY':
      return value === undefined || isPositiveInt(value) ? undefined : 'GROUP_BY takes a positive integer (the number of groups)';
    case 'MAX_PER':
      return value !== undefined && isPositiveInt(value) ? undefined : 'MAX_PER needs a positive integer (the most pods per group)';
    case 'LIKE':
    case 'UNLIKE':
      if (value === undefined) return `${operator} needs a regular expression`;
      try {
        new RegExp(value);
        return undefined;
      } catch (err) {
        return `invalid regular expression: ${(err as Error).message}`;
      }
    case 'IS':
    case 'IS_NOT':
      return value === undefined ? `${operator} needs a value` : undefined;
  }
}

function isPositiveInt(value: string): boolean {
  return /^[1-9]\d*$/.test(value);
}
