/**
 * raftchart/machines: the Raft statechart, its messages and events, the pure rules it uses
 * and the pure step. No I/O, no timers, no `node:` import: it loads in a browser.
 *
 * @module raftchart/machines
 */
export * from './commit-rules.js';
export * from './context.js';
export * from './election-rules.js';
export * from './events.js';
export * from './json-value.js';
export * from './leadership.js';
export * from './log.js';
export * from './log-edit.js';
export * from './membership.js';
export * from './log-matching.js';
export * from './messages.js';
export * from './progress.js';
export * from './raft-machine.js';
export * from './read-index.js';
export * from './replication.js';
export * from './role.js';
export * from './step.js';
export * from './timing.js';
