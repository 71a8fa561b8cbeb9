import { describe, expect, it } from 'vitest';
import { formatConstraint, parseConstraints, type SpecIssue } from '../../src/service-spec';

function parse(input: unknown) {
  const issues: SpecIssue[] = [];
  const constraints = parseConstraints(input, 'p', issues);
  return { constraints, issues };
}

describe('Marathon constraint syntax', () => {
  it('reads the YAML list form', () => {
    const { constraints, issues } = parse([['hostname', 'UNIQUE'], ['@zone', 'GROUP_BY', '3'], ['rack', 'MAX_PER', 1]]);
    expect(issues).toEqual([]);
    expect(constraints).toEqual([
      { field: 'hostname', operator: 'UNIQUE' },
      { field: '@zone', operator: 'GROUP_BY', value: '3' },
      { field: 'rack', operator: 'MAX_PER', value: '1' },
    ]);
  });

  it('reads the string form, keeping colons inside the value', () => {
    const { constraints } = parse('hostname:UNIQUE,@zone:GROUP_BY:3, @region:LIKE:us-.*,url:IS:http://x');
    expect(constraints).toEqual([
      { field: 'hostname', operator: 'UNIQUE' },
      { field: '@zone', operator: 'GROUP_BY', value: '3' },
      { field: '@region', operator: 'LIKE', value: 'us-.*' },
      { field: 'url', operator: 'IS', value: 'http://x' },
    ]);
  });

  it('reads a JSON string of lists, as Marathon app definitions write it', () => {
    expect(parse('[["rack","CLUSTER","rack-1"],["@hostname","IS_NOT","bad"]]').constraints).toEqual([
      { field: 'rack', operator: 'CLUSTER', value: 'rack-1' },
      { field: '@hostname', operator: 'IS_NOT', value: 'bad' },
    ]);
  });

  it('treats an absent or empty placement as no constraints', () => {
    expect(parse(undefined).constraints).toEqual([]);
    expect(parse('').constraints).toEqual([]);
  });

  it.each([
    [[['hostname', 'UNIQUE', 'x']], 'p[0][2]', /no value/],
    [[['rack', 'GROUP_BY', 'three']], 'p[0][2]', /positive integer/],
    [[['rack', 'MAX_PER', '0']], 'p[0][2]', /positive integer/],
    [[['rack', 'UNLIKE']], 'p[0][2]', /regular expression/],
    [[['rack', 'IS']], 'p[0][2]', /needs a value/],
    [[['rack']], 'p[0]', /\[field, OPERATOR\]/],
    [[['', 'UNIQUE']], 'p[0][0]', /field name/],
    [42, 'p', /list/],
    ['[not json', 'p', /JSON/],
  ])('rejects %j at %s', (input, path, message) => {
    const { issues } = parse(input);
    expect(issues[0]?.path).toBe(path);
    expect(issues[0]?.message).toMatch(message);
  });

  it('formats constraints back to the string form', () => {
    expect(formatConstraint({ field: '@zone', operator: 'GROUP_BY', value: '3' })).toBe('@zone:GROUP_BY:3');
    expect(formatConstraint({ field: 'hostname', operator: 'UNIQUE' })).toBe('hostname:UNIQUE');
  });
});
