// An output checker's "Download file": through whichever transport runs (the browser's own
// download, or the desktop window's save dialog), and what to tell the user afterwards.
import type { Api } from '../api/client';
import { ApiError } from '../api/errors';
import type { SaveResult } from '../api/transport';

export interface Notice {
  kind: 'success' | 'info' | 'error';
  text: string;
}

/** The message for a finished save of the request file at path (none when the browser took over). */
export function saveNotice(path: string, res: SaveResult): Notice | null {
  const name = path.split('/').pop() || path;
  switch (res.outcome) {
    case 'saved':
      return { kind: 'success', text: `${name} has been saved to ${res.path}` };
    case 'cancelled':
      return { kind: 'info', text: `Download of ${name} cancelled: nothing was saved` };
    case 'started':
      return null; // the browser shows its own download
  }
}

/** Saves a request's file and says how it went (errors become an error notice with the API's reason). */
export async function downloadRequestFile(a: Api, requestId: string, path: string): Promise<Notice | null> {
  try {
    return saveNotice(path, await a.saveRequestFile(requestId, path));
  } catch (err) {
    const reason = err instanceof ApiError || err instanceof Error ? err.message : String(err);
    const name = path.split('/').pop() || path;
    return { kind: 'error', text: `${name} could not be downloaded: ${reason}` };
  }
}
