import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerPackage } from '../../src/cli/package.command';
import { renderMarathonApp } from '../../src/packaging';
import { FRAMEWORKS_DIR, PACKAGES_DIR, problems, validators } from './schemas';

async function run(...args: string[]): Promise<void> {
  const program = new Command('pxfw').exitOverride();
  registerPackage(program);
  await program.parseAsync(['package', ...args], { from: 'user' });
}

describe('pxfw package', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pxfw-package-cli-'));
    // The commands report what they wrote; keep test output clean.
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('generate writes one package directory per framework spec', async () => {
    await run('generate', '--frameworks', FRAMEWORKS_DIR, '--out', join(dir, 'packages'));
    expect((await readdir(join(dir, 'packages'))).sort()).toEqual(['pxfw-cassandra', 'pxfw-elasticsearch', 'pxfw-hdfs', 'pxfw-kafka']);
  });

  it('render --options merges an options file and writes the Marathon app', async () => {
    const options = join(dir, 'options.json');
    await writeFile(options, JSON.stringify({ service: { name: 'kafka-a' }, broker: { count: 4 } }));
    const out = join(dir, 'app.json');
    await run('render', join(PACKAGES_DIR, 'pxfw-kafka'), '--options', options, '--out', out);
    const app = JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown>;
    expect(app).toEqual(await renderMarathonApp(join(PACKAGES_DIR, 'pxfw-kafka'), { service: { name: 'kafka-a' }, broker: { count: 4 } }));
    expect(app.id).toBe('kafka-a');
  });

  it('repo writes a v4 repository file at the requested version', async () => {
    const out = join(dir, 'repo.json');
    await run('repo', '--packages', PACKAGES_DIR, '--version', '0.9.0', '--release', '2', '--out', out);
    const repo = JSON.parse(await readFile(out, 'utf8')) as { packages: { version: string; releaseVersion: number }[] };
    expect(problems(validators().repo, repo)).toEqual([]);
    expect(repo.packages.every((p) => p.version === '0.9.0' && p.releaseVersion === 2)).toBe(true);
  });

  it('render fails with the option path when the options file breaks the schema', async () => {
    const options = join(dir, 'bad.json');
    await writeFile(options, JSON.stringify({ node: { count: -3 } }));
    await expect(run('render', join(PACKAGES_DIR, 'pxfw-cassandra'), '--options', options)).rejects.toThrow('node.count: must be >= 0');
  });
});
