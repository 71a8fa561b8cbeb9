export * from './errors';
export { buildConfigSchema, DEFAULT_SCHEDULER_MEM_MB } from './config-schema';
export { generatePackage, generatePackages, writePackages, PACKAGE_NAME_PREFIX, type GeneratedPackage, type PackageMetadata } from './generate';
export { createDraft04Ajv, deepMerge, defaultsFromSchema, ajvIssues, type JsonObject } from './json-schema';
export { heapCapMb, SCHEDULER_IMAGE_ALIAS } from './marathon-template';
export { loadPackage, PACKAGE_FILES, type UniversePackage, type PackageMeta } from './package-dir';
export { renderMarathonApp, renderTemplate, resolveOptions } from './render';
export { buildUniverseRepo, UNIVERSE_REPO_V4_MEDIA_TYPE, type UniverseRepo, type UniverseRepoOptions } from './repo';
