import { describe, expect, it } from 'vitest';
import type { RequestFile } from '../api/types';
import { requestTree } from './requesttree';

const f = (path: string) => ({ path }) as RequestFile;
const show = (rows: ReturnType<typeof requestTree>) => rows.map((r) => `${'  '.repeat(r.depth)}${r.kind === 'dir' ? r.name + '/' : r.name}`);

describe('request tree', () => {
  const files = [f('output/tables/admissions_by_region.csv'), f('output/tables/admissions_by_age.csv'), f('output/figure.png'), f('README.md'), f('output/tables/deep/x.csv')];
  it('shows names under their folders, in path order', () => {
    expect(show(requestTree(files))).toEqual(['output/', '  figure.png', '  tables/', '    admissions_by_age.csv', '    admissions_by_region.csv', '    deep/', '      x.csv', 'README.md']);
  });
  it('keeps each file and its folder paths', () => {
    const rows = requestTree(files);
    expect(rows.filter((r) => r.kind === 'dir').map((r) => r.kind === 'dir' && r.path)).toEqual(['output', 'output/tables', 'output/tables/deep']);
    expect(rows.filter((r) => r.kind === 'file').map((r) => r.kind === 'file' && r.file.path).sort()).toEqual(files.map((x) => x.path).sort());
  });
  it('leaves out what is under a collapsed folder', () => {
    expect(show(requestTree(files, new Set(['output/tables'])))).toEqual(['output/', '  figure.png', '  tables/', 'README.md']);
  });
  it('a file at the top has no folder', () => {
    expect(show(requestTree([f('a.txt')]))).toEqual(['a.txt']);
  });
});
