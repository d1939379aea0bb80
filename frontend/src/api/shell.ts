// Tells the desktop shell what the window shows (the bound Desktop.Showing, app/bindings.go):
// the shell titles the window from it, and ends its session when the page shows nobody
// logged in. Outside the Wails window (no window.go) it does nothing.
import { desktopBindings } from './desktop';
import type { DesktopView } from './types';

/** A reporter that sends each view once (repeats of the same view are not sent). */
export function shellReporter(w: unknown = globalThis): (view: DesktopView) => void {
  let last = '';
  return (view) => {
    const d = desktopBindings(w);
    if (!d) return;
    const key = JSON.stringify([view.user, view.workspace, view.request]);
    if (key === last) return;
    last = key;
    d.Showing(view).catch((err: unknown) => console.warn('desktop: Showing failed', err));
  };
}

/** Reports what the window shows to the desktop shell, when there is one. */
export const reportShowing = shellReporter();
