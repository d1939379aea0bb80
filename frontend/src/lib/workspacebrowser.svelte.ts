// The workspace browser's state: the summary and current request, the tree's loaded levels
// and expanded folders, the selected file's detail and the listing's checked files. The page
// and its tree, listing and file pane read it; only its methods load and change it.
import { api, ApiError } from '../api';
import type { Entry, FileDetail, Request, WorkspaceSummary } from '../api/types';
import { LiveQuery } from './livequery.svelte';
import { href, navigate } from './route';
import { errorText, flash } from './session.svelte';

export interface TreeRow {
  e: Entry;
  depth: number;
}

export const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

/** The folders above a path, the root ('') first. */
export function ancestors(p: string): string[] {
  const out = [''];
  const segs = p.split('/').filter(Boolean);
  for (let i = 1; i < segs.length; i++) out.push(segs.slice(0, i).join('/'));
  return out;
}

/** Whether an error says the workspace cannot be shown at all (missing, or not the viewer's). */
export function isUnavailable(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 'permission_denied' || err.code === 'not_found');
}

export class WorkspaceBrowserState {
  readonly workspace: string;
  levels = $state<Record<string, Entry[]>>({});
  expanded = $state<Set<string>>(new Set());
  detail = $state<FileDetail | null>(null);
  error = $state('');
  /** the workspace cannot be shown: the answer that said so (the page shows only that) */
  unavailable = $state<ApiError | null>(null);
  /** moves on after every refresh (viewers reload their content) */
  version = $state(0);
  showOutOfDate = $state(false);
  selected = $state<Set<string>>(new Set());
  /** false once the page is gone: late answers must not navigate */
  alive = true;

  constructor(workspace: string) {
    this.workspace = workspace;
    this.showOutOfDate = sessionStorage.getItem(this.key('ood')) === '1';
    this.selected = new Set(JSON.parse(sessionStorage.getItem(this.key('sel')) ?? '[]') as string[]);
  }

  private key(k: string) {
    return `airlock.${k}.${this.workspace}`;
  }

  /** Keeps the checked files and the out-of-date toggle for this browser tab. */
  persist() {
    sessionStorage.setItem(this.key('sel'), JSON.stringify([...this.selected]));
    sessionStorage.setItem(this.key('ood'), this.showOutOfDate ? '1' : '0');
  }

  visible = (e: Entry) => this.showOutOfDate || !e.outOfDate;

  /** The tree's rows: every loaded level under an expanded folder, depth-first. */
  rows = $derived.by(() => {
    const out: TreeRow[] = [];
    const walk = (dir: string, depth: number) => {
      for (const e of this.levels[dir] ?? []) {
        if (!this.visible(e)) continue;
        out.push({ e, depth });
        if (e.kind === 'dir' && this.expanded.has(e.path)) walk(e.path, depth + 1);
      }
    };
    walk('', 0);
    return out;
  });

  hiddenCount = $derived(Object.values(this.levels).reduce((n, l) => n + l.filter((e) => e.outOfDate).length, 0));

  entry(path: string): Entry | null {
    if (!path) return null;
    return (this.levels[parentOf(path)] ?? []).find((e) => e.path === path) ?? null;
  }

  private isLoadedDir(d: string) {
    return (this.levels[parentOf(d)] ?? []).some((e) => e.path === d && e.kind === 'dir');
  }

  private async loadLevel(dir: string) {
    const t = await api().tree(this.workspace, dir, true);
    this.levels = { ...this.levels, [dir]: t.entries ?? [] };
  }

  /** the summary and the current request, loaded together: the newest answer wins */
  private readonly summaryQ = new LiveQuery<{ sum: WorkspaceSummary; cur: Request | null }>(async () => {
    const sum = await api().workspace(this.workspace);
    const cur = sum.currentRequestId ? await api().request(sum.currentRequestId).catch(() => null) : null;
    return { sum, cur };
  });
  get summary(): WorkspaceSummary | null {
    return this.summaryQ.data?.sum ?? null;
  }
  get current(): Request | null {
    return this.summaryQ.data?.cur ?? null;
  }
  async loadSummary() {
    await this.summaryQ.refetch();
    const failure = this.summaryQ.failure;
    if (isUnavailable(failure)) this.unavailable = failure as ApiError;
    else if (failure) throw failure;
    else this.unavailable = null;
  }

  /** Goes to the nearest valid folder above a path that is not (or no longer) in the workspace. */
  private leaveInvalid(bad: string, message: string) {
    if (!this.alive) return;
    const valid = ancestors(bad)
      .filter((a) => a === '' || this.isLoadedDir(a))
      .pop();
    flash('warning', message);
    navigate(href.workspace(this.workspace, valid ?? ''), true);
  }

  /** Loads what showing `want` needs: each level from the root down, then the folder or the file. */
  async loadPath(want: string, stillWanted: () => boolean) {
    this.error = '';
    try {
      for (const d of ancestors(want)) {
        if (d && !this.isLoadedDir(d)) break;
        if (!this.levels[d]) await this.loadLevel(d);
      }
      if (!stillWanted()) return;
      const e = this.entry(want);
      if (want && !e) {
        this.detail = null;
        this.leaveInvalid(want, `Path '${want}' is not a valid file or directory path in this workspace.`);
        return;
      }
      const next = new Set(this.expanded);
      for (const a of ancestors(want)) if (a) next.add(a);
      if (e?.kind === 'dir') {
        next.add(want);
        if (!this.levels[want]) await this.loadLevel(want);
        this.detail = null;
      } else if (e) {
        this.detail = await api().fileDetail(this.workspace, want);
      } else this.detail = null;
      this.expanded = next;
    } catch (err) {
      if (isUnavailable(err) && !want) this.unavailable = err as ApiError;
      else this.error = errorText(err);
    }
  }

  /** Reloads the summary and every open level (after a change or a live event). */
  async refreshAll(path: string) {
    try {
      await this.loadSummary();
      const dirs = Object.keys(this.levels);
      const results = await Promise.allSettled(dirs.map((d) => api().tree(this.workspace, d, true)));
      const next: Record<string, Entry[]> = {};
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') next[dirs[i]] = r.value.entries ?? [];
        else if (!(r.reason instanceof ApiError && r.reason.code === 'not_found')) throw r.reason;
      });
      this.levels = next; // folders that went away are dropped
      const here = this.entry(path);
      if (path && !here) {
        this.detail = null;
        this.leaveInvalid(path, 'Selected path is not a valid output path. A recent job may have updated its outputs.');
        return;
      }
      if (here && here.kind === 'file') this.detail = await api().fileDetail(this.workspace, path);
      this.version++;
    } catch (err) {
      if (!isUnavailable(err)) this.error = errorText(err);
    }
  }

  async toggle(dir: string) {
    const next = new Set(this.expanded);
    if (next.has(dir)) next.delete(dir);
    else {
      next.add(dir);
      if (!this.levels[dir]) await this.loadLevel(dir).catch((e) => (this.error = errorText(e)));
    }
    this.expanded = next;
  }

  toggleSelect(p: string) {
    const next = new Set(this.selected);
    if (next.has(p)) next.delete(p);
    else next.add(p);
    this.selected = next;
  }
}
