import { describe, expect, it } from 'vitest';
import { flash, flashes, moveOn } from './session.svelte';

describe('flash messages', () => {
  it('a success removes the errors above it (no stale red error above a green success)', () => {
    moveOn();
    flash('error', 'Comment: This field is required');
    flash('warning', 'A recent job may have updated its outputs');
    flash('success', 'Request has been submitted');
    expect(flashes.list.map((f) => [f.kind, f.text])).toEqual([
      ['warning', 'A recent job may have updated its outputs'],
      ['success', 'Request has been submitted'],
    ]);
  });

  it('moving to another page clears them', () => {
    flash('error', 'Something failed');
    moveOn();
    expect(flashes.list).toEqual([]);
  });
});
