export { createWorkerApp, type WorkerDeps } from './app.ts';
export { signContainerToken, checkContainerToken, CONTAINER_TOKEN_MAX_AGE_SECONDS, type ContainerClaims } from './auth.ts';
