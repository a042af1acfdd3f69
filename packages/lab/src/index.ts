export * from './config.js';
export * from './qemu.js';
export * from './timeline.js';
export * from './lab-project.js';
export * from './artifacts.js';
export { runLab, tearDownKeptLab, type LabOptions, type KeptLab } from './lab.js';
export { DEMO_BANNER, type LabResult, type LabRuntime } from './session.js';
