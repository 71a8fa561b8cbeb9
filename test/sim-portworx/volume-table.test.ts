import { describe, expect, it } from 'vitest';
import type { SimVolume } from '../../src/sim/portworx/model/types';
import { VolumeTable } from '../../src/sim/portworx/model/volume-table';

function vol(id: string, name: string, parentId?: string): SimVolume {
  return {
    id,
    name,
    labels: {},
    spec: {} as SimVolume['spec'],
    ctime: new Date(0),
    replicaNodes: [],
    replicaPools: [],
    ...(parentId ? { parentId } : {}),
    readonly: false,
    attachedOn: [],
    attachPaths: [],
    marker: '',
  };
}

describe('Portworx simulator: the volume table finds volumes by name without a scan', () => {
  it('finds a volume by name, never a snapshot of it, and forgets it once deleted', () => {
    const t = new VolumeTable();
    t.set('v1', vol('v1', 'data-0'));
    t.set('s1', vol('s1', 'data-0', 'v1'));
    t.set('v2', vol('v2', 'data-1'));
    expect(t.byName('data-0').map((v) => v.id)).toEqual(['v1']);
    expect(t.byName('data-1').map((v) => v.id)).toEqual(['v2']);
    expect(t.size).toBe(3);
    t.delete('v1');
    expect(t.byName('data-0')).toEqual([]);
    expect(t.get('s1')?.parentId).toBe('v1');
  });

  it('re-indexes an id stored again under another name, and empties on clear', () => {
    const t = new VolumeTable();
    t.set('v1', vol('v1', 'old'));
    t.set('v1', vol('v1', 'new'));
    expect(t.byName('old')).toEqual([]);
    expect(t.byName('new').map((v) => v.id)).toEqual(['v1']);
    t.clear();
    expect(t.byName('new')).toEqual([]);
    expect(t.size).toBe(0);
  });
});
