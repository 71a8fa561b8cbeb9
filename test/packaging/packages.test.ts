import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSpec } from '../../src/service-spec';
import { createDraft04Ajv, defaultsFromSchema, generatePackages, PACKAGE_FILES, renderMarathonApp } from '../../src/packaging';
import { FRAMEWORKS_DIR, PACKAGES_DIR, problems, validators } from './schemas';

const frameworkNames = readdirSync(FRAMEWORKS_DIR)
  .filter((f) => f.endsWith('.yml'))
  .map((f) => f.replace(/\.yml$/, ''))
  .sort();

const readJson = (pkg: string, file: string): unknown => JSON.parse(readFileSync(join(PACKAGES_DIR, pkg, file), 'utf8'));

describe('the shipped universe packages', () => {
  it('are one package per framework spec, named pxfw-<spec>', () => {
    const dirs = readdirSync(PACKAGES_DIR).sort();
    expect(dirs).toEqual(frameworkNames.map((n) => `pxfw-${n}`));
  });

  it('are exactly what the generator makes of the current framework specs (regenerate with `pxfw package generate`)', async () => {
    const version = (readJson('pxfw-cassandra', PACKAGE_FILES.package) as { version: string }).version;
    const generated = await generatePackages(FRAMEWORKS_DIR, { version, image: `pxfw/pxfw:${version}` });
    for (const pkg of generated) {
      for (const [file, text] of Object.entries(pkg.files)) {
        expect(readFileSync(join(PACKAGES_DIR, pkg.name, file), 'utf8'), `${pkg.name}/${file} is stale`).toBe(text);
      }
    }
  });

  describe.each(frameworkNames)('pxfw-%s', (name) => {
    const pkg = `pxfw-${name}`;
    const dir = join(PACKAGES_DIR, pkg);

    it('has a package.json that satisfies universe package-schema.json with packagingVersion 4.0', () => {
      const json = readJson(pkg, PACKAGE_FILES.package) as Record<string, unknown>;
      expect(problems(validators().packageJson, json)).toEqual([]);
      expect(json).toMatchObject({ packagingVersion: '4.0', name: pkg, framework: true });
    });

    it('has a config.json that satisfies universe config-schema.json', () => {
      expect(problems(validators().configJson, readJson(pkg, PACKAGE_FILES.config))).toEqual([]);
    });

    it('has config.json defaults that satisfy config.json itself', () => {
      const schema = readJson(pkg, PACKAGE_FILES.config) as Record<string, unknown>;
      const validate = createDraft04Ajv().compile(schema);
      expect(problems(validate, defaultsFromSchema(schema))).toEqual([]);
    });

    it('has a resource.json that satisfies v3-resource-schema.json and names the scheduler image', () => {
      const resource = readJson(pkg, PACKAGE_FILES.resource);
      expect(problems(validators().resourceJson, resource)).toEqual([]);
      expect(resource).toMatchObject({ assets: { container: { docker: { 'pxfw-scheduler': expect.stringMatching(/^pxfw\/pxfw:/) } } } });
    });

    it('renders with the defaults to a Marathon app that satisfies AppDefinition.json', async () => {
      const app = await renderMarathonApp(dir);
      expect(problems(validators().marathonApp, app)).toEqual([]);
    });

    it('renders a single-instance scheduler app: pxfw run, /health check on port index 0, no overlap on upgrade', async () => {
      const app = await renderMarathonApp(dir);
      expect(app).toMatchObject({
        id: name,
        instances: 1,
        container: { type: 'MESOS', docker: { image: expect.stringMatching(/^pxfw\/pxfw:/) } },
        portDefinitions: [{ port: 0, name: 'http' }],
        healthChecks: [{ protocol: 'MESOS_HTTP', path: '/health', portIndex: 0 }],
        upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
        labels: { DCOS_SERVICE_NAME: name, DCOS_PACKAGE_FRAMEWORK_NAME: name, DCOS_SERVICE_PORT_INDEX: '0', MARATHON_SINGLE_INSTANCE_APP: 'true' },
        env: { PXFW_MESOS_URL: 'http://leader.mesos:5050', PXFW_PORTWORX_URL: expect.any(String), NATS_URL: expect.any(String) },
      });
      expect(app.cmd).toMatch(/export PXFW_HTTP_PORT="\$PORT0" && exec pxfw run --spec "\$MESOS_SANDBOX\/pxfw-spec\.yml"$/);
    });

    it('embeds, with the defaults, a spec equal to the framework spec it was made from', async () => {
      const app = await renderMarathonApp(dir);
      const env = app.env as Record<string, string>;
      const original = parseSpec(readFileSync(join(FRAMEWORKS_DIR, `${name}.yml`), 'utf8'));
      expect(parseSpec(env.PXFW_SPEC_YAML ?? '')).toEqual(original);
    });
  });
});

describe('the plain Marathon app deploy/marathon/pxfw-cassandra.json', () => {
  it('equals the pxfw-cassandra package rendered with its defaults (regenerate with `pxfw package render`)', async () => {
    const file = JSON.parse(readFileSync(join(PACKAGES_DIR, '..', '..', 'marathon', 'pxfw-cassandra.json'), 'utf8')) as unknown;
    expect(file).toEqual(await renderMarathonApp(join(PACKAGES_DIR, 'pxfw-cassandra')));
  });

  it('satisfies AppDefinition.json', () => {
    const file = JSON.parse(readFileSync(join(PACKAGES_DIR, '..', '..', 'marathon', 'pxfw-cassandra.json'), 'utf8')) as unknown;
    expect(problems(validators().marathonApp, file)).toEqual([]);
  });
});
