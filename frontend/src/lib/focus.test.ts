import { afterEach, describe, expect, it } from 'vitest';
import { returnFocus } from './focus';

// a scheduler the test steps by hand
function manual() {
  const queue: (() => void)[] = [];
  return { next: (f: () => void) => void queue.push(f), step: () => queue.shift()?.(), pending: () => queue.length };
}

afterEach(() => (document.body.innerHTML = ''));

describe('returnFocus', () => {
  it('focuses an enabled control at once', async () => {
    document.body.innerHTML = '<button id="b">Add</button>';
    const b = document.getElementById('b') as HTMLButtonElement;
    expect(await returnFocus(b)).toBe(true);
    expect(document.activeElement).toBe(b);
  });

  it('waits while the control is disabled, then focuses it', async () => {
    document.body.innerHTML = '<button id="b" disabled>Add</button>';
    const b = document.getElementById('b') as HTMLButtonElement;
    const s = manual();
    const done = returnFocus(b, { next: s.next });
    s.step();
    expect(document.activeElement).not.toBe(b);
    b.disabled = false;
    s.step();
    expect(await done).toBe(true);
    expect(document.activeElement).toBe(b);
  });

  it('leaves focus where the user moved it', async () => {
    document.body.innerHTML = '<button id="b" disabled>Add</button><input id="i">';
    const b = document.getElementById('b') as HTMLButtonElement;
    const s = manual();
    const done = returnFocus(b, { next: s.next });
    (document.getElementById('i') as HTMLInputElement).focus();
    b.disabled = false;
    s.step();
    expect(await done).toBe(false);
    expect(document.activeElement?.id).toBe('i');
  });

  it('takes focus from inside the closed dialog it came from', async () => {
    document.body.innerHTML = '<button id="b">Add</button><div id="d"><input id="i"></div>';
    const i = document.getElementById('i') as HTMLInputElement;
    i.focus();
    expect(await returnFocus(document.getElementById('b'), { from: document.getElementById('d') })).toBe(true);
    expect(document.activeElement?.id).toBe('b');
  });

  it('gives up after its frames', async () => {
    document.body.innerHTML = '<button id="b" disabled>Add</button>';
    const s = manual();
    const done = returnFocus(document.getElementById('b'), { next: s.next, frames: 3 });
    while (s.pending()) s.step();
    expect(await done).toBe(false);
  });
});
