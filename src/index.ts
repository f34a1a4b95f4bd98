/** The eviction system itself (`drainsim/system`): the ports and the three parts built on them. */
export type * from './ports.ts';
export { TownDO, hasActiveWork, type TownDOEnv } from './town/town-do.ts';
export { reconcile, type ReconcileContext } from './town/reconciler.ts';
export { Action } from './town/actions.ts';
export { createWorkerApp, signContainerToken, checkContainerToken } from './worker/index.ts';
export { createContainer, type Container, type ContainerConfig, type ContainerPorts } from './container/container.ts';
export { createIsomorphicGitWorkspace } from './container/git-workspace.ts';
export { rescueBranch, snapshotWorkspace } from './container/snapshot.ts';
