import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import { parseSpec, ServiceSpecError } from '../../src/service-spec';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { generatePackage, PackageGenerateError, PACKAGE_FILES, renderMarathonApp, type GeneratedPackage } from '../../src/packaging';
import { FRAMEWORKS_DIR, problems, validators } from './schemas';

const META = { version: '0.1.0', image: 'pxfw/pxfw:0.1.0' };

const spec = (pods: string, extra = '') => `name: demo\npods:\n${pods}\n${extra}`;
const pod = (type: string, more = '') => `  ${type}:\n    count: 1\n    cpus: 1\n    mem: 512\n    command: sleep 1\n${more}`;

async function writeTemp(pkg: GeneratedPackage): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'pxfw-pkg-')), pkg.name);
  await mkdir(dir);
  for (const [file, text] of Object.entries(pkg.files)) await writeFile(join(dir, file), text);
  return dir;
}

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

  it('passes launch templates through Cosmos rendering as written (set-delimiter tags), and still checks them', async () => {
    const text = spec(pod('db', '    env:\n      PEERS: "{{#DB_PODS}}{{HOST}}{{^LAST}},{{/LAST}}{{/DB_PODS}}"\n      ME: "{{TASK_HOST}}"\n'));
    const dir = await writeTemp(generatePackage(text, 'demo.yml', META));
    const app = (await renderMarathonApp(dir)) as { env: { PXFW_SPEC_YAML: string } };
    expect(parseSpec(app.env.PXFW_SPEC_YAML).pods.db!.env).toMatchObject({ PEERS: '{{#DB_PODS}}{{HOST}}{{^LAST}},{{/LAST}}{{/DB_PODS}}', ME: '{{TASK_HOST}}' });
    expect(failure(spec(pod('db', '    env:\n      X: "{{oops}}"\n')))).toBeInstanceOf(ServiceSpecError);
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
