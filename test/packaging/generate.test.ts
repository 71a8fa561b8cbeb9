import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import { ServiceSpecError } from '../../src/service-spec';
import { generatePackage, PackageGenerateError, PACKAGE_FILES } from '../../src/packaging';
import { FRAMEWORKS_DIR, problems, validators } from './schemas';

const META = { version: '0.1.0', image: 'pxfw/pxfw:0.1.0' };

const spec = (pods: string, extra = '') => `name: demo\npods:\n${pods}\n${extra}`;
const pod = (type: string, more = '') => `  ${type}:\n    count: 1\n    cpus: 1\n    mem: 512\n    command: sleep 1\n${more}`;

function failure(text: string, meta: Record<string, unknown> = META): unknown {
  try {
    generatePackage(text, 'demo.yml', meta as typeof META);
  } catch (err) {
    return err;
  }
  throw new Error('expected generatePackage to fail');
}

describe('generatePackage', () => {
  it('gives a pod with several volumes one size and replica option per volume', () => {
    const vols = '    volumes:\n      - {name: wal-log, path: /wal, size: 1Gi, repl: 2}\n      - {name: data, path: /data, size: 10Gi, repl: 3}\n';
    const pkg = generatePackage(spec(pod('db', vols)), 'demo.yml', META);
    const config = JSON.parse(pkg.files[PACKAGE_FILES.config] ?? '') as { properties: { db: { properties: Record<string, { default: unknown }> } } };
    const props = config.properties.db.properties;
    expect(props.wal_log_volume_size?.default).toBe(1);
    expect(props.data_volume_repl?.default).toBe(3);
    expect(problems(validators().configJson, config)).toEqual([]);
  });

  it('names the package pxfw-<spec name> and takes the description from the spec headline', () => {
    const text = readFileSync(join(FRAMEWORKS_DIR, 'kafka.yml'), 'utf8');
    const pkg = generatePackage(text, 'kafka.yml', META);
    expect(pkg.name).toBe('pxfw-kafka');
    expect(JSON.parse(pkg.files[PACKAGE_FILES.package] ?? '')).toMatchObject({ description: expect.stringMatching(/^Apache Kafka/) });
  });

  it('refuses a pod type named like an option group', () => {
    const err = failure(spec(pod('service')));
    expect(err).toBeInstanceOf(PackageGenerateError);
    expect((err as Error).message).toContain("pod type 'service' collides");
  });

  it('refuses a spec holding mustache delimiters', () => {
    const err = failure(spec(pod('db', '    env:\n      X: "{{oops}}"\n')));
    expect(err).toBeInstanceOf(PackageGenerateError);
    expect((err as Error).message).toContain("'{{'");
  });

  it('refuses a placement value that has no string form (a comma in a LIKE pattern)', () => {
    const err = failure(spec(pod('db', '    placement: [["rack", "LIKE", "r1,r2"]]\n')));
    expect(err).toBeInstanceOf(PackageGenerateError);
    expect((err as Error).message).toContain('pods.db.placement');
  });

  it('passes spec errors through as ServiceSpecError and bad metadata as ValidationError', () => {
    expect(failure('name: demo\npods: {}\n')).toBeInstanceOf(ServiceSpecError);
    expect(failure(spec(pod('db')), { version: '1 0', image: 'x' })).toBeInstanceOf(ValidationError);
  });
});
