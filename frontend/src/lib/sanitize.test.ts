import { describe, expect, it } from 'vitest';
import { sanitizeHtml, textToHtml } from './sanitize';

describe('sanitizeHtml', () => {
  it('keeps the Markdown allow-list', () => {
    expect(sanitizeHtml('<p>test <em>comment</em> <strong>b</strong> <code>x</code></p>')).toBe('<p>test <em>comment</em> <strong>b</strong> <code>x</code></p>');
    expect(sanitizeHtml('<ol><li>a</li></ol><blockquote>q</blockquote>')).toBe('<ol><li>a</li></ol><blockquote>q</blockquote>');
  });
  it('drops scripts, handlers and unsafe links', () => {
    const out = sanitizeHtml('<img src=x onerror="alert(1)"><script>alert(2)</script><a href="javascript:alert(3)" onclick="x()">l</a><p onmouseover="y()">t</p><svg><script>alert(4)</script></svg>');
    expect(out).not.toMatch(/alert|onerror|onclick|onmouseover|<img|<script|<svg|javascript/);
    expect(out).toContain('<a>l</a>');
    expect(out).toContain('<p>t</p>');
  });
  it('keeps safe links with rel noopener', () => {
    expect(sanitizeHtml('<a href="https://example.org/x">x</a>')).toBe('<a href="https://example.org/x" rel="noopener noreferrer nofollow" target="_blank">x</a>');
    expect(sanitizeHtml('<a href="//evil">x</a>')).toBe('<a>x</a>');
    expect(sanitizeHtml('<a href="/\\evil.example">x</a>')).toBe('<a>x</a>');
    expect(sanitizeHtml('<a href="/&#10;/evil.example">x</a>')).toBe('<a>x</a>');
    expect(sanitizeHtml('<a href="/workspaces/w">x</a>')).toBe('<a href="/workspaces/w" rel="noopener noreferrer nofollow" target="_blank">x</a>');
  });
  it('escapes plain text', () => {
    expect(textToHtml('<b>x</b>\ny')).toBe('&lt;b&gt;x&lt;/b&gt;<br>y');
  });
});
