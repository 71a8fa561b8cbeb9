import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { parseSpec, serviceUuid, type ServiceSpec } from '../../src/service-spec';
import { describeRefusals, diffSpecs } from '../../src/controller/config-diff';

const shipped = readFileSync(join(__dirname, '..', '..', 'deploy', 'frameworks', 'kafka.yml'), 'utf8');
type Doc = { pods: Record<string, Record<string, unknown> & { env: Record<string, unknown>; volumes: unknown[] }> } & Record<string, unknown>;

/** The shipped Kafka spec with the broker's env (and volumes) changed. */
function kafka(mutate: (d: Doc) => void = () => undefined): ServiceSpec {
  const d = parseYaml(shipped) as Doc;
  mutate(d);
  return parseSpec(stringify(d));
}
const withClusterId = (id: string | undefined) =>
  kafka((d) => {
    if (id !== undefined) {
      d.pods.broker!.env.CLUSTER_ID = id;
      return;
    }
    // Unset: as a spec written before the id was a tunable (tunables name only env variables the pod has).
    delete d.pods.broker!.env.CLUSTER_ID;
    delete (d.pods.broker!.tunables as Record<string, unknown>).CLUSTER_ID;
  });
const threePods = () => 3;
/** The id the package's old fixed default gave every Kafka service. */
const OLD_DEFAULT = 'MkU3OEVBNTcwNTJENDM2Qk';

describe('config update refuses a new KRaft cluster id for brokers whose volumes hold data', () => {
  it('refuses the old fixed default -> {{SERVICE_UUID}} (the regenerated package without broker.cluster_id), naming the fix', () => {
    const diff = diffSpecs(withClusterId(OLD_DEFAULT), kafka(), threePods);
    expect(diff.refused.map((r) => r.path)).toEqual(['pods.broker.env.CLUSTER_ID']);
    const text = describeRefusals(diff.refused);
    expect(text).toContain(`"${OLD_DEFAULT}" -> "${serviceUuid('kafka')}"`);
    expect(text).toContain(`set the option broker.cluster_id to "${OLD_DEFAULT}"`);
    expect(text).toContain(`keep CLUSTER_ID: "${OLD_DEFAULT}" in the file`);
  });

  it('refuses any other new id, and setting or removing the id', () => {
    expect(diffSpecs(kafka(), withClusterId('5L6g3nShT-eMCtK--X86sw'), threePods).refused.map((r) => r.path)).toEqual(['pods.broker.env.CLUSTER_ID']);
    expect(diffSpecs(withClusterId(undefined), kafka(), threePods).refused.map((r) => r.reason)).toEqual([expect.stringMatching(/^unset -> ".+": .*leave CLUSTER_ID out of the file$/)]);
    expect(diffSpecs(kafka(), withClusterId(undefined), threePods).refused.map((r) => r.path)).toEqual(['pods.broker.env.CLUSTER_ID']);
  });

  it('accepts the same id however it is written ({{SERVICE_UUID}} or its value), and other env changes', () => {
    expect(diffSpecs(kafka(), withClusterId(serviceUuid('kafka')), threePods).refused).toEqual([]);
    expect(diffSpecs(withClusterId(serviceUuid('kafka')), kafka(), threePods).refused).toEqual([]);
    const heap = diffSpecs(kafka(), kafka((d) => (d.pods.broker!.env.KAFKA_HEAP_OPTS = '-Xms2g -Xmx2g')), threePods);
    expect(heap.refused).toEqual([]);
    expect(heap.restartTypes).toEqual(['broker']);
  });

  it('a pod type without volumes has no formatted data: the id may change (a restart)', () => {
    const noVolumes = (id: string) => kafka((d) => ((d.pods.broker!.volumes = []), (d.pods.broker!.env.CLUSTER_ID = id)));
    const diff = diffSpecs(noVolumes(OLD_DEFAULT), noVolumes('5L6g3nShT-eMCtK--X86sw'), threePods);
    expect(diff.refused).toEqual([]);
    expect(diff.restartTypes).toEqual(['broker']);
  });
});
