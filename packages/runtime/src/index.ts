export * from './errors.js';
export * from './logger.js';
export * from './nats.js';
export * from './http.js';
export * from './health.js';
export * from './env.js';
export * from './service.js';
export * from './process.js';
