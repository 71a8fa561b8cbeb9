import type { ServiceSpec } from '../../service-spec';

/** The service's current (target) spec and the YAML it was parsed from. */
export interface SpecSource {
  spec(): ServiceSpec;
  yaml(): string;
}

/** The adapter that owns the spec: `set` is the one way to change it (scale, config update). */
export class SpecHolder implements SpecSource {
  constructor(
    private current: ServiceSpec,
    private currentYaml: string,
  ) {}

  spec(): ServiceSpec {
    return this.current;
  }

  yaml(): string {
    return this.currentYaml;
  }

  set(spec: ServiceSpec, yaml: string = this.currentYaml): void {
    this.current = spec;
    this.currentYaml = yaml;
  }
}
