export * from './wait.js';
export * from './net.js';
export * from './process.js';
export * from './nats.js';
export * from './netns.js';
