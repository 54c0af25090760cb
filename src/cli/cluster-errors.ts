/** What `raftchart cluster` refuses or fails at; each message says what to do. */
import { RaftError } from '../errors.js';

/** A request named a node the cluster does not have. */
export class UnknownNodeError extends RaftError {
  constructor(
    readonly nodeId: string,
    readonly known: readonly string[],
  ) {
    super(`there is no node "${nodeId}" in this cluster: use one of ${known.join(', ')}`);
  }
}

/** A restart of a node that is running: kill it first. */
export class NodeRunningError extends RaftError {
  constructor(readonly nodeId: string) {
    super(`node ${nodeId} is running: kill it first (POST /api/nodes/${nodeId}/kill), then restart it`);
  }
}

/** A kill of a node that is not running: restart it first. */
export class NodeNotRunningError extends RaftError {
  constructor(readonly nodeId: string) {
    super(`node ${nodeId} is not running: restart it first (POST /api/nodes/${nodeId}/restart)`);
  }
}

/** The cluster is shutting down: nothing starts any more. */
export class ClusterStoppingError extends RaftError {
  constructor() {
    super('the cluster is stopping: start `raftchart cluster` again');
  }
}

/** The cluster did not come up: a node exited, or no leader was elected in time. */
export class ClusterStartError extends RaftError {}
