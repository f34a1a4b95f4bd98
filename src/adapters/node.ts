/** Production implementations of the small ports on Node: the only place `src/` touches the world. */
import { randomUUID } from 'node:crypto';
import type { Clock, Fetch, Logger, LogFields, ProcessPort, Random } from '../ports.ts';

export const nodeClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export const nodeRandom: Random = { uuid: () => randomUUID() };

export const globalFetch: Fetch = (request) => fetch(request);

/** One JSON object per line on stdout/stderr: what container log collectors expect. */
export const consoleLogger: Logger = {
  info: (message: string, fields?: LogFields) => console.log(JSON.stringify({ level: 'info', message, ...fields })),
  warn: (message: string, fields?: LogFields) => console.warn(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (message: string, fields?: LogFields) => console.error(JSON.stringify({ level: 'error', message, ...fields })),
};

export const nodeProcess: ProcessPort = {
  onSignal: (signal, handler) => void process.on(signal, handler),
  exit: (code) => process.exit(code),
};
