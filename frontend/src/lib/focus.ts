// Giving keyboard focus back to a control (the button that opened a dialog, a button that was
// disabled while its action ran). Browsers differ in what they do themselves when a dialog
// closes or a focused button becomes disabled: some restore focus, some leave it on <body>.
// So the app does it, in every browser: at once when the control can take focus, else on the
// next animation frames until it can (it may be disabled for a moment, or re-rendered), for a
// bounded time. It never takes focus from where the user has moved it since.

export interface FocusOptions {
  /** an element whose losing focus does not count as the user moving on (the closed dialog) */
  from?: Element | null;
  /** how many frames to keep trying (about one second at 60 frames a second) */
  frames?: number;
  /** the scheduler of the next try (tests pass their own) */
  next?: (f: () => void) => void;
}

function canTake(el: HTMLElement): boolean {
  return el.isConnected && !(el as HTMLButtonElement).disabled && !el.closest('[inert]');
}

function userMovedOn(from: Element | null | undefined): boolean {
  const a = document.activeElement;
  if (!a || a === document.body || a === document.documentElement) return false;
  return !(from && from.contains(a));
}

/** returnFocus focuses el now or as soon as it can take focus; it resolves to whether it did. */
export function returnFocus(el: HTMLElement | null, opts: FocusOptions = {}): Promise<boolean> {
  const next = opts.next ?? ((f) => requestAnimationFrame(() => f()));
  let left = opts.frames ?? 60;
  return new Promise((resolve) => {
    const attempt = () => {
      if (!el || document.activeElement === el) return resolve(!!el);
      if (userMovedOn(opts.from)) return resolve(false);
      if (canTake(el)) {
        el.focus();
        return resolve(document.activeElement === el);
      }
      if (left-- <= 0) return resolve(false);
      next(attempt);
    };
    attempt();
  });
}
