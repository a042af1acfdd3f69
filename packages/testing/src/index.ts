export * from './wait.js';
export * from './net.js';
export * from './process.js';
export * from './nats.js';
export * from './netns.js';
export * from './dhcp-packet.js';
export * from './pxe-client.js';
export * from './aria2c.js';
