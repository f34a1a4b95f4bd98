/** Read-only looks into a container's repositories, for the no-lost-work invariant. */
import git from 'isomorphic-git';

export async function currentBranch(fs: unknown, dir: string): Promise<string | undefined> {
  try {
    return (await git.currentBranch({ fs: fs as never, dir, fullname: false })) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Every file of the commit HEAD points to, by path; undefined when there is no repository. */
export async function readHeadFiles(fs: unknown, dir: string): Promise<Record<string, string> | undefined> {
  try {
    const oid = await git.resolveRef({ fs: fs as never, dir, ref: 'HEAD' });
    const files: Record<string, string> = {};
    await git.walk({
      fs: fs as never,
      dir,
      trees: [git.TREE({ ref: oid })],
      map: async (filepath, [entry]) => {
        if (!entry || filepath === '.') return true;
        if ((await entry.type()) === 'blob') {
          const content = await entry.content();
          if (content) files[filepath] = new TextDecoder().decode(content);
        }
        return true;
      },
    });
    return files;
  } catch {
    return undefined;
  }
}
