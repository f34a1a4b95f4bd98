/**
 * The container's entry point: the process manager, heartbeat and signal handling on Node, with
 * the control server listening on a real port.
 *
 * The coding-agent SDK is not part of this repository: `startContainer` takes an `AgentSessions`
 * implementation (the port in src/ports.ts is shaped like the SDK's session API), and the
 * deployment passes its SDK adapter in. Configuration comes from the environment:
 * WORKER_URL, CONTAINER_TOKEN, WORK_ROOT (default /workspace), PORT (default 8080).
 */
import { serve } from '@hono/node-server';
import type { AgentSessions, Logger } from '../ports.ts';
import { createContainer, type Container } from '../container/container.ts';
import { consoleLogger, globalFetch, nodeClock, nodeProcess } from './node.ts';
import { createNodeGitWorkspace } from './node-git.ts';

export interface RunningContainer {
  container: Container;
  /** The port the control server listens on. */
  port: number;
  /** Stops the heartbeat and closes the server (for tests and embedding). */
  close(): Promise<void>;
}

export function containerConfigFromEnv(env: NodeJS.ProcessEnv): { workerUrl: string; containerToken: string; workRoot: string; port: number } {
  const missing = ['WORKER_URL', 'CONTAINER_TOKEN'].filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`missing environment: ${missing.join(', ')}`);
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${env.PORT}`);
  return { workerUrl: env.WORKER_URL as string, containerToken: env.CONTAINER_TOKEN as string, workRoot: env.WORK_ROOT ?? '/workspace', port };
}

export function startContainer(options: { sessions: AgentSessions; env?: NodeJS.ProcessEnv; logger?: Logger; hostname?: string }): Promise<RunningContainer> {
  const config = containerConfigFromEnv(options.env ?? process.env);
  const logger = options.logger ?? consoleLogger;
  const container = createContainer(
    { workerUrl: config.workerUrl, containerToken: config.containerToken, workRoot: config.workRoot },
    { clock: nodeClock, fetch: globalFetch, git: createNodeGitWorkspace(nodeClock), sessions: options.sessions, process: nodeProcess, logger },
  );
  return new Promise((resolve) => {
    const server = serve({ fetch: container.handle, port: config.port, hostname: options.hostname ?? '0.0.0.0' }, (info) => {
      container.start();
      logger.info('container control server listening', { port: info.port });
      resolve({
        container,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            container.heartbeat.stop();
            server.close(() => done());
          }),
      });
    });
  });
}
