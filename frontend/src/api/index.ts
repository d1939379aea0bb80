// The transport chosen at run time: the desktop one inside the Wails window (window.runtime
// exists there; its bound Go methods are window.go.app.Desktop), the web one in a browser.
import { Api } from './client';
import { DesktopTransport, desktopBindings, wailsRuntime } from './desktop';
import type { Transport } from './transport';
import { browserWebTransport } from './web';

export function createTransport(w: unknown = globalThis): Transport {
  const rt = wailsRuntime(w);
  if (rt) return new DesktopTransport(rt, (input, init) => fetch(input, init), () => desktopBindings(w));
  return browserWebTransport();
}

let instance: Api | null = null;

/** The application's one Api (created on first use). */
export function api(): Api {
  if (!instance) instance = new Api(createTransport());
  return instance;
}

export { Api } from './client';
export type { FileSource, TableQuery } from './client';
export type { SaveResult } from './transport';
export { ApiError } from './errors';
export type * from './types';
