// A request group's files as a folder tree: the request tree shows names, folders as
// folders (full paths were cut off at the default width), pure for tests.
import type { RequestFile } from '../api/types';

export type TreeRow =
  | { kind: 'dir'; name: string; path: string; depth: number }
  | { kind: 'file'; name: string; file: RequestFile; depth: number };

interface Folder {
  dirs: Map<string, Folder>;
}

/**
 * The rows of a group's tree, depth-first: at each level the sub-folders and files in path
 * order (a folder where its first file sorts), so the tree reads in the order the keyboard
 * steps through files. Rows under a folder in `collapsed` (its path) are left out.
 */
export function requestTree(files: RequestFile[], collapsed: Set<string> = new Set()): TreeRow[] {
  const root: Folder = { dirs: new Map() };
  // one entry per item of a level, in the order first seen
  const order = new Map<Folder, ({ dir: string } | { file: RequestFile })[]>();
  const items = (f: Folder) => {
    let l = order.get(f);
    if (!l) order.set(f, (l = []));
    return l;
  };
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const segs = file.path.split('/');
    let at = root;
    for (const seg of segs.slice(0, -1)) {
      let next = at.dirs.get(seg);
      if (!next) {
        next = { dirs: new Map() };
        at.dirs.set(seg, next);
        items(at).push({ dir: seg });
      }
      at = next;
    }
    items(at).push({ file });
  }
  const out: TreeRow[] = [];
  const walk = (f: Folder, prefix: string, depth: number) => {
    for (const it of items(f)) {
      if ('file' in it) {
        out.push({ kind: 'file', name: it.file.path.slice(prefix.length), file: it.file, depth });
        continue;
      }
      const path = prefix + it.dir;
      out.push({ kind: 'dir', name: it.dir, path, depth });
      if (!collapsed.has(path)) walk(f.dirs.get(it.dir)!, path + '/', depth + 1);
    }
  };
  walk(root, '', 0);
  return out;
}
