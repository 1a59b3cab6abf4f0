export * from './attendance-status.js';
export * from './clock.js';
export * from './cycle-rules.js';
export * from './errors.js';
export * from './interval-union.js';
export * from './reconcile-transitions.js';
export * from './types.js';
export * from './fold-journal.js';
