export * from './event-mapper.js';
export * from './room-service.js';
export * from './webhook-verifier.js';
