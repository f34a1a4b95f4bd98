export { createVirtualFs, type VirtualFs } from './fs.ts';
export { createGitRemote, type GitRemote, type GitRemoteOptions, type PushFault, type RemoteFaults } from './remote.ts';
export { forcePureJsGit, GitAlreadyUsedError } from './determinism.ts';
