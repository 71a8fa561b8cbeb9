import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { schedulerHttpSources } from '../../src/http/console-wiring';

/** Debian's Chromium: the browser the console test drives (.ci/run installs the package). */
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(__dirname, '..', '..', '.test-results', 'screenshots');

/** Fails, naming the Debian package, when Chromium is missing: a browser test must not pass by skipping. */
export function requireChromium(path = CHROMIUM): void {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: install the Debian package \`chromium\` (apt-get install chromium; .ci/run does) to run the console browser test`);
  }
}

/** Headless Chromium with a fresh profile (--user-data-dir, removed by close()). */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  requireChromium();
  const profile = mkdtempSync(join(tmpdir(), 'pxfw-chromium-'));
  // Playwright passes the profile as --user-data-dir itself (it refuses the flag among the args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A full-page screenshot under .test-results/screenshots/ (a test artefact). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * The console's sources on the sandbox's HTTP server. The scheduler service wires them itself once
 * the CONTRACTS Request ("console -> ports", scheduler-service.ts) is applied; until then the test
 * attaches them over the ones served, keeping their health and state.
 */
export async function ensureConsole(sb: Sandbox): Promise<string> {
  const http = sb.scheduler.http!;
  if ((await fetch(`${http.url}/v1/console`)).status === 404) {
    const served = http.attached!;
    http.attach(schedulerHttpSources({ runtime: sb.scheduler.runtime, operations: sb.scheduler.operations, health: served.health, state: served.state }));
  }
  return http.url;
}

/** `pxfw sim agent <action> HOST` through the simulator's control API, as the CLI sends it. */
export async function simAgent(sb: Sandbox, action: 'crash' | 'kill', host: string): Promise<void> {
  const res = await fetch(`${sb.mesos.url}/sim/v1/agents/${encodeURIComponent(host)}/${action}`, { method: 'POST' });
  if (!res.ok) throw new Error(`sim agent ${action} ${host}: ${res.status} ${await res.text()}`);
}
