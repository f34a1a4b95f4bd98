/** Every fake, for use on its own in any test suite (`drainsim/fakes`). */
export { createFakeClock, DEFAULT_START, type FakeClock } from './clock.ts';
export { createFakeStorage, FakeDurableStorage, loadSql } from './storage.ts';
export { createDurableObjectHost, ALARM_MAX_RETRIES, ALARM_RETRY_FIRST_MS, type DurableObjectHost } from './durable-object.ts';
export {
  createNetwork,
  ConnectionReset,
  Network,
  type ExchangeInfo,
  type NetworkFaults,
  type NetworkOptions,
  type NetworkStats,
  type RequestOutcome,
  type ResponseOutcome,
  type TrafficEvent,
} from './network.ts';
export { createPlatform, Platform, SIGKILL_AFTER_MS, type InstanceContext, type InstanceHandle, type InstanceInfo, type PlatformEvent, type PlatformOptions, type Routing } from './platform.ts';
export {
  createAgentModels,
  AgentModels,
  COOPERATIVE,
  type AgentModelDeps,
  type AgentProfile,
  type FaultRoll,
  type SessionInfo,
  type SessionState,
} from './agent-sessions.ts';
export { createGitRemote, createVirtualFs, forcePureJsGit, GitAlreadyUsedError, type GitRemote, type GitRemoteOptions, type PushFault, type RemoteFaults, type VirtualFs } from './git/index.ts';
