// The transport chosen at run time: the desktop one inside the Wails window (window.runtime
// exists there), the web one in a browser.
import { Api } from './client';
import { DesktopTransport, wailsRuntime } from './desktop';
import type { Transport } from './transport';
import { browserWebTransport } from './web';

export function createTransport(w: unknown = globalThis): Transport {
  const rt = wailsRuntime(w);
  if (rt) return new DesktopTransport(rt, (input, init) => fetch(input, init));
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
export { ApiError } from './errors';
export type * from './types';
