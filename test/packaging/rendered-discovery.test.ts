import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Offer } from '../../src/mesos';
import { podTask } from '../../src/mesos/task-group';
import { renderMarathonApp } from '../../src/packaging';
import { parseSpec, podTypeKey, taskHost, taskMesosHost } from '../../src/service-spec';
import { PACKAGES_DIR } from './schemas';

/**
 * Issue 13, "Specs checked against the real rules": every shipped package, rendered from its
 * defaults as `dcos package install` would, gives a spec that passes the cluster rules (no absolute
 * volume path without an image) and whose discovery templates name each sibling by its DNS name.
 */

const packages = readdirSync(PACKAGES_DIR).sort();
const OFFER = { id: { value: 'o' }, framework_id: { value: 'f' }, agent_id: { value: 'a' }, hostname: 'h', resources: [] } as unknown as Offer;

describe.each(packages)('%s rendered from its package defaults', (pkg) => {
  it('passes the cluster rules and launches every pod with its siblings\' DNS names, no template left', async () => {
    const app = (await renderMarathonApp(join(PACKAGES_DIR, pkg))) as { env: Record<string, unknown> };
    const spec = parseSpec(String(app.env.PXFW_SPEC_YAML), pkg, { clusterRules: true });
    let siblingNames = 0;
    for (const [type, pod] of Object.entries(spec.pods)) {
      // What the pod's templates refer to: sibling lists and host lists of other pod types.
      const templates = [pod.command, ...Object.values(pod.env)].join('\n');
      const referenced = Object.keys(spec.pods).filter((t) => new RegExp(`\\{\\{[#^]?${podTypeKey(t)}_(HOSTS|MESOS_HOSTS|PODS)\\}\\}`).test(templates));
      for (let i = 0; i < pod.count; i++) {
        const task = podTask({ spec, pod: { podType: type, index: i, name: `${type}-${i}` }, taskId: 't', frameworkId: 'f', offer: OFFER, offerPorts: [{ begin: 1025, end: 32000 }], volumes: [] });
        const launched = [task.command, ...Object.values(task.env ?? {})].join('\n');
        expect(launched, `${type}-${i}`).not.toContain('{{');
        expect(task.env?.TASK_HOST).toBe(taskHost(spec.name, `${type}-${i}`));
        for (const sibling of referenced) {
          for (let j = 0; j < spec.pods[sibling]!.count; j++) {
            const names = [taskHost(spec.name, `${sibling}-${j}`), taskMesosHost(spec.name, `${sibling}-${j}`)];
            expect(names.some((n) => launched.includes(n)), `${type}-${i} names ${sibling}-${j}`).toBe(true);
            siblingNames++;
          }
        }
      }
      if (pod.volumes.some((v) => v.path.startsWith('/'))) expect(pod.image, `${type} mounts absolute paths`).toBeTruthy();
    }
    // Every shipped framework wires its cluster by its siblings' names.
    expect(siblingNames).toBeGreaterThan(0);
  });
});
