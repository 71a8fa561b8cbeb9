import type { SpecIssue } from './errors';
import type { ServiceSpec } from './types';

/**
 * Rules a spec must keep to run on real DC/OS agents, beyond its own consistency. They are kept
 * apart from the structural parse so the simulated cluster can still run the short test specs;
 * `pxfw run`, `loadSpecFile` and the packages apply them (parseSpec's `clusterRules` option).
 */

/**
 * Mesos' docker/volume isolator mounts a volume with an absolute container path at that very path
 * on the agent host when the container has no image (no rootfs), and fails the launch when the
 * path does not exist there (src/slave/containerizer/mesos/isolators/docker/volume/isolator.cpp,
 * "Absolute container path … does not exist"). With an image the path is created in the rootfs;
 * a relative path is created in the sandbox.
 */
function absolutePathIssues(spec: ServiceSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const pod of Object.values(spec.pods)) {
    if (pod.image) continue;
    pod.volumes.forEach((v, i) => {
      if (!v.path.startsWith('/')) return;
      issues.push({
        path: `pods.${pod.type}.volumes[${i}].path`,
        message:
          `'${v.path}' is absolute but pod type '${pod.type}' has no image: Mesos would mount it on the agent host and fail the task unless that directory exists there; ` +
          `set pods.${pod.type}.image, or use a path relative to the sandbox such as '${v.path.replace(/^\/+/, '')}'`,
      });
    });
  }
  return issues;
}

/** Every cluster-rule issue of a parsed spec (empty when it would launch on DC/OS). */
export function clusterRuleIssues(spec: ServiceSpec): SpecIssue[] {
  return [...absolutePathIssues(spec)];
}
