import { describe, expect, it } from 'vitest';
import { frameworkMachine } from '../../machines/framework.machine';
import { FRAMEWORK_TAGS } from '../../machines/framework.types';

const tagsOf = (path: string) => frameworkMachine.getStateNodeById(`framework.${path}`).tags;

describe('framework supervisor state tags (hasTag in src/ in place of state names)', () => {
  it('tags the parent states, so every state inside them has the tag', () => {
    expect(tagsOf('active')).toEqual([FRAMEWORK_TAGS.active]);
    expect(tagsOf('uninstalling')).toEqual([FRAMEWORK_TAGS.uninstalling]);
    expect(tagsOf('uninstalling.deleting-state')).toEqual([FRAMEWORK_TAGS.deletingState]);
    expect(tagsOf('uninstalled')).toEqual([FRAMEWORK_TAGS.uninstalled]);
    expect(tagsOf('reinstalling')).toEqual([FRAMEWORK_TAGS.reinstalling]);
  });

  it('starting and standby are unsaved: the supervisor context is not persisted there', () => {
    expect(tagsOf('starting')).toEqual([FRAMEWORK_TAGS.unsaved]);
    expect(tagsOf('standby')).toEqual([FRAMEWORK_TAGS.unsaved]);
    expect(tagsOf('subscribing')).toEqual([]);
  });
});
