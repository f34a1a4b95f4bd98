/** Composes the container process: manager, heartbeat, drain acknowledgement, control server, signals. */
import type { AgentSessions, Clock, Fetch, GitWorkspace, HttpHandler, Logger, ProcessPort } from '../ports.ts';
import type { AgentView } from './agents.ts';
import { createControlServer } from './control-server.ts';
import { DrainAcknowledger } from './drain-ack.ts';
import { Heartbeat } from './heartbeat.ts';
import { ProcessManager } from './process-manager.ts';
import { installSignalHandlers } from './signals.ts';
import { createWorkerClient } from './worker-client.ts';

export interface ContainerConfig {
  /** e.g. `https://worker.example` (the simulator uses `http://worker`). */
  workerUrl: string;
  containerToken: string;
  /** Agent workspaces live at `${workRoot}/${agentId}`. */
  workRoot: string;
}

export interface ContainerPorts {
  clock: Clock;
  fetch: Fetch;
  git: GitWorkspace;
  sessions: AgentSessions;
  process: ProcessPort;
  logger: Logger;
}

export interface Container {
  /** The control server. */
  handle: HttpHandler;
  manager: ProcessManager;
  heartbeat: Heartbeat;
  /** Registers the signal handlers and starts the heartbeat. */
  start(): void;
}

export type { AgentView };

export function createContainer(config: ContainerConfig, ports: ContainerPorts): Container {
  const worker = createWorkerClient(ports.fetch, config.workerUrl, config.containerToken);
  const manager = new ProcessManager({ clock: ports.clock, git: ports.git, sessions: ports.sessions, worker, logger: ports.logger, workRoot: config.workRoot });
  const acknowledger = new DrainAcknowledger(worker, ports.clock, ports.logger);
  const heartbeat = new Heartbeat({ clock: ports.clock, registry: manager.registry, worker, acknowledger, logger: ports.logger });
  const handle = createControlServer({ manager, acknowledger, clock: ports.clock, logger: ports.logger, startedAt: ports.clock.now() });
  return {
    handle,
    manager,
    heartbeat,
    start() {
      installSignalHandlers(ports.process, { stopHeartbeat: () => heartbeat.stop(), drainAll: () => manager.drainAll(), stopAll: () => manager.stopAll() }, ports.logger);
      heartbeat.start();
    },
  };
}
