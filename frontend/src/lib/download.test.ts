import { describe, expect, it } from 'vitest';
import { Api } from '../api/client';
import { createTransport } from '../api/index';
import type { WailsRuntime } from '../api/desktop';
import { WebTransport } from '../api/web';
import { downloadRequestFile, saveNotice } from './download';

/** A window as Wails sets it up: window.runtime, and the bound app.Desktop methods at window.go. */
function fakeWindow(save: (requestId: string, path: string) => Promise<string>) {
  const calls: [string, string][] = [];
  const runtime: WailsRuntime = { EventsOn: () => () => {} };
  const win = {
    runtime,
    go: {
      app: {
        Desktop: {
          SaveRequestFile(requestId: string, path: string) {
            calls.push([requestId, path]);
            return save(requestId, path);
          },
        },
      },
    },
  };
  return { win, calls };
}

describe('download in the desktop window', () => {
  it('calls window.go.app.Desktop.SaveRequestFile and says where the file was saved', async () => {
    const { win, calls } = fakeWindow(async () => '/home/olivia/Downloads/counts.csv');
    const t = createTransport(win);
    expect(t.kind).toBe('desktop');
    const a = new Api(t);
    expect(await a.saveRequestFile('R1', 'out/counts.csv')).toEqual({ outcome: 'saved', path: '/home/olivia/Downloads/counts.csv' });
    expect(calls).toEqual([['R1', 'out/counts.csv']]);
    expect(await downloadRequestFile(a, 'R1', 'out/counts.csv')).toEqual({
      kind: 'success',
      text: 'counts.csv has been saved to /home/olivia/Downloads/counts.csv',
    });
  });

  it('says so when the save dialog was cancelled (the binding resolves with "")', async () => {
    const { win } = fakeWindow(async () => '');
    const a = new Api(createTransport(win));
    expect(await a.saveRequestFile('R1', 'counts.csv')).toEqual({ outcome: 'cancelled' });
    expect(await downloadRequestFile(a, 'R1', 'counts.csv')).toEqual({ kind: 'info', text: 'Download of counts.csv cancelled: nothing was saved' });
  });

  it('shows the API reason of a rejected call (Error(JSON), as Wails v2.15 rejects)', async () => {
    const { win } = fakeWindow(async () => {
      throw new Error('{"error":{"code":"permission_denied","message":"Only output checkers who are not the author may download files"}}');
    });
    const a = new Api(createTransport(win));
    await expect(a.saveRequestFile('R1', 'counts.csv')).rejects.toMatchObject({ code: 'permission_denied' });
    expect(await downloadRequestFile(a, 'R1', 'counts.csv')).toEqual({
      kind: 'error',
      text: 'counts.csv could not be downloaded: Only output checkers who are not the author may download files',
    });
  });

  it('fails readably when the window has no bound methods', async () => {
    const a = new Api(createTransport({ runtime: { EventsOn: () => () => {} } }));
    await expect(a.saveRequestFile('R1', 'counts.csv')).rejects.toMatchObject({ code: 'unavailable' });
    expect((await downloadRequestFile(a, 'R1', 'counts.csv'))?.kind).toBe('error');
  });

  it('finds bindings defined after the transport was created', async () => {
    const win: Record<string, unknown> = { runtime: { EventsOn: () => () => {} } };
    const a = new Api(createTransport(win));
    win.go = fakeWindow(async () => '/tmp/x.csv').win.go;
    expect(await a.saveRequestFile('R1', 'x.csv')).toEqual({ outcome: 'saved', path: '/tmp/x.csv' });
  });
});

describe('download in a browser', () => {
  it("starts the browser's download of the audited download URL, and shows nothing more", async () => {
    const downloads: [string, string][] = [];
    const t = new WebTransport({
      fetch: async () => new Response(null, { status: 500 }),
      socket: () => {
        throw new Error('no socket');
      },
      socketBase: 'ws://h',
      setTimeout: () => 0,
      clearTimeout: () => {},
      download: (url, name) => downloads.push([url, name]),
    });
    const a = new Api(t);
    expect(await a.saveRequestFile('R 1', 'out dir/a#b.csv')).toEqual({ outcome: 'started' });
    expect(downloads).toEqual([['/api/v1/requests/R%201/content/out%20dir/a%23b.csv?download=1', 'a#b.csv']]);
    expect(await downloadRequestFile(a, 'R 1', 'out dir/a#b.csv')).toBeNull();
  });
});

describe('saveNotice', () => {
  it('names the file, not its folders', () => {
    expect(saveNotice('a/b/c.csv', { outcome: 'saved', path: 'C:\\Users\\o\\c.csv' })).toEqual({ kind: 'success', text: 'c.csv has been saved to C:\\Users\\o\\c.csv' });
    expect(saveNotice('c.csv', { outcome: 'started' })).toBeNull();
  });
});
