import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import { buildUniverseRepo, PackageFileError, PACKAGE_FILES } from '../../src/packaging';
import { PACKAGES_DIR, problems, validators } from './schemas';

describe('buildUniverseRepo (the file `dcos package repo add` reads)', () => {
  it('builds a repository that satisfies v4-repo-schema.json', async () => {
    const repo = await buildUniverseRepo(PACKAGES_DIR, { version: '0.1.0' });
    expect(problems(validators().repo, repo)).toEqual([]);
  });

  it('lists every package, sorted by name, at the given version and releaseVersion', async () => {
    const repo = await buildUniverseRepo(PACKAGES_DIR, { version: '1.2.3-rc.1', releaseVersion: 4 });
    expect(repo.packages.map((p) => p.name)).toEqual(['pxfw-cassandra', 'pxfw-elasticsearch', 'pxfw-hdfs', 'pxfw-kafka']);
    for (const p of repo.packages) expect(p).toMatchObject({ packagingVersion: '4.0', version: '1.2.3-rc.1', releaseVersion: 4, framework: true });
    expect(problems(validators().repo, repo)).toEqual([]);
  });

  it('carries each package template base64-encoded, and its config and resource as they are on disk', async () => {
    const repo = await buildUniverseRepo(PACKAGES_DIR, { version: '0.1.0' });
    for (const p of repo.packages) {
      const dir = join(PACKAGES_DIR, String(p.name));
      const template = (p.marathon as { v2AppMustacheTemplate: string }).v2AppMustacheTemplate;
      expect(Buffer.from(template, 'base64').toString('utf8')).toBe(await readFile(join(dir, PACKAGE_FILES.template), 'utf8'));
      expect(p.config).toEqual(JSON.parse(await readFile(join(dir, PACKAGE_FILES.config), 'utf8')));
      expect(p.resource).toEqual(JSON.parse(await readFile(join(dir, PACKAGE_FILES.resource), 'utf8')));
    }
  });

  it('refuses a version the universe schema would not accept, naming the option', async () => {
    const err: unknown = await buildUniverseRepo(PACKAGES_DIR, { version: '1.0 beta' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain('version: expected letters, digits, - and .');
  });

  describe('given a folder without packages', () => {
    let empty = '';
    beforeAll(async () => {
      empty = await mkdtemp(join(tmpdir(), 'pxfw-repo-'));
    });
    afterAll(async () => {
      await rm(empty, { recursive: true, force: true });
    });

    it('fails with a PackageFileError naming the folder', async () => {
      const err: unknown = await buildUniverseRepo(empty, { version: '0.1.0' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PackageFileError);
      expect((err as Error).message).toContain(empty);
    });
  });
});

describe('the published schemas, as the tests load them', () => {
  it('reject a Marathon app with an invalid id and an unknown field', () => {
    expect(problems(validators().marathonApp, { id: 'Bad_ID', instancez: 1 })).toEqual(
      expect.arrayContaining([expect.stringContaining('id: must match pattern'), 'instancez: unknown option (check its spelling and nesting)']),
    );
  });

  it('reject a 4.0 package without tags and a repository entry whose template is not base64', () => {
    expect(problems(validators().packageJson, { packagingVersion: '4.0', name: 'x-y', version: '1', maintainer: 'm', description: 'd' })).not.toEqual([]);
    const entry = { packagingVersion: '4.0', name: 'x-y', version: '1', releaseVersion: 0, maintainer: 'm', description: 'd', tags: [], marathon: { v2AppMustacheTemplate: 'not base64!' } };
    expect(problems(validators().repo, { packages: [entry] })).not.toEqual([]);
  });
});
