/** The container's calls to the worker: container-token auth, JSON bodies, the envelope. */
import type { Fetch } from '../ports.ts';

export interface WorkerClient {
  post(path: string, body?: unknown, signal?: AbortSignal): Promise<Response>;
}

export function createWorkerClient(send: Fetch, workerUrl: string, token: string): WorkerClient {
  return {
    post(path, body, signal) {
      const init: RequestInit = { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };
      if (body !== undefined) init.body = JSON.stringify(body);
      if (signal) init.signal = signal;
      return send(new Request(`${workerUrl}${path}`, init));
    },
  };
}

export const agentPath = (townId: string, rigId: string, agentId: string) => `/api/towns/${townId}/rigs/${rigId}/agents/${agentId}`;
