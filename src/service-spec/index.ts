export * from './constraints';
export * from './errors';
export * from './names';
export { loadSpecFile, parseSpec } from './parse';
export { formatPath } from './path';
export { defaultDeployPlan, findCycle, orderedPhases, validateDeployPlan } from './plans';
export * from './types';
export { parseDurationSeconds, parseSizeGiB } from './units';
export { CHECK_DEFAULTS } from './checks';
