export * from './fields.js';
export * from './schema.js';
export * from './migrate.js';
export * from './template.js';
export * from './loader.js';
export * from './desired.js';
export * from './scaffold.js';
export { YamlSource } from './yaml-source.js';
