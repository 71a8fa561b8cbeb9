import { volumeName } from '../service-spec/names';
import type { ServiceSpec, VolumeSpec } from '../service-spec/types';
import type { VolumeMountSpec } from './builders';

/**
 * The pxd `driver_options` of a pod's volumes. The agent's docker/volume isolator hands them to
 * `dvdcli mount`, which calls the driver's Create before Mount; OpenStorage's Docker plugin turns
 * them into a VolumeSpec (api/spec/spec_handler.go UpdateSpecFromOpts) and the SDK answers
 * ALREADY_EXISTS when `size` or `shared` differ from the volume pxfw created
 * (api/server/sdk/volume_ops.go). So they say exactly what pxfw created: `size` in whole GiB (a bare
 * number is GiB to pkg/units Parse), `shared` when shared; the rest lets the driver create the same
 * volume should it be missing. Keys are api.Spec* names.
 */
export function pxdDriverOptions(v: VolumeSpec): Record<string, string> {
  const options: Record<string, string> = {
    size: String(v.size),
    repl: String(v.repl),
    fs: v.fs,
    io_priority: v.priority,
  };
  if (v.shared) options.shared = 'true';
  if (v.ioProfile) options.io_profile = v.ioProfile;
  if (v.encryptionSecret) {
    options.secure = 'true';
    options.secret_key = v.encryptionSecret;
  }
  return options;
}

/**
 * The volume spec of each of the pod's volumes, matched by its full deterministic name: a suffix
 * match would take volume `meta-data` for the spec of `data`.
 */
export function volumeMounts(spec: ServiceSpec, pod: { podType: string; index: number }, volumes: readonly { name: string }[]): VolumeMountSpec[] {
  const podSpec = spec.pods[pod.podType];
  return volumes.map((v): VolumeMountSpec => {
    const vs = podSpec?.volumes.find((s) => volumeName(spec.name, pod.podType, pod.index, s.name) === v.name);
    return {
      containerPath: vs?.path ?? `/mnt/${v.name}`,
      name: v.name,
      driverOptions: vs ? pxdDriverOptions(vs) : {},
    };
  });
}
