/** The GitWorkspace port on the real file system, over HTTPS, with isomorphic-git. */
import fs from 'node:fs';
import http from 'isomorphic-git/http/node';
import type { Clock, GitWorkspace } from '../ports.ts';
import { createIsomorphicGitWorkspace } from '../container/git-workspace.ts';

export function createNodeGitWorkspace(clock: Clock, author?: { name: string; email: string }): GitWorkspace {
  return createIsomorphicGitWorkspace({ fs, http, clock, ...(author ? { author } : {}) });
}
