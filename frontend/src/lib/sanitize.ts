// Defence in depth for comment HTML: the server already renders Markdown to a small
// allow-list, and we re-check it here before inserting it, keeping only these tags and
// safe links. Everything else is reduced to its text.

const allowedTags = new Set(['A', 'STRONG', 'B', 'EM', 'I', 'BLOCKQUOTE', 'CODE', 'PRE', 'OL', 'UL', 'LI', 'P', 'BR', 'ABBR', 'ACRONYM']);
const dropWithContent = new Set(['SCRIPT', 'STYLE', 'IFRAME', 'OBJECT', 'EMBED', 'TEMPLATE', 'NOSCRIPT', 'SVG', 'MATH']);

function safeHref(v: string): boolean {
  // the URL parser drops tabs and newlines anywhere and reads '\\' as '/' in http(s) URLs:
  // "/\\evil" and "/\n/evil" are protocol-relative links to another host, like "//evil"
  const s = v.trim().replace(/[\t\n\r]/g, '').toLowerCase();
  if (s.startsWith('#')) return true;
  if (s.startsWith('/')) return s[1] !== '/' && s[1] !== '\\';
  return s.startsWith('http://') || s.startsWith('https://') || s.startsWith('mailto:');
}

function clean(node: Node, doc: Document): Node[] {
  if (node.nodeType === Node.TEXT_NODE) return [doc.createTextNode(node.textContent ?? '')];
  if (node.nodeType !== Node.ELEMENT_NODE) return [];
  const el = node as Element;
  const tag = el.tagName.toUpperCase();
  if (dropWithContent.has(tag)) return [];
  const children = [...el.childNodes].flatMap((c) => clean(c, doc));
  if (!allowedTags.has(tag)) return children;
  const out = doc.createElement(tag.toLowerCase());
  if (tag === 'A') {
    const href = el.getAttribute('href');
    if (href && safeHref(href)) {
      out.setAttribute('href', href);
      out.setAttribute('rel', 'noopener noreferrer nofollow');
      out.setAttribute('target', '_blank');
    }
  }
  if ((tag === 'A' || tag === 'ABBR' || tag === 'ACRONYM') && el.hasAttribute('title')) out.setAttribute('title', el.getAttribute('title') ?? '');
  if (tag === 'OL' && el.hasAttribute('start')) {
    const n = Number(el.getAttribute('start'));
    if (Number.isInteger(n)) out.setAttribute('start', String(n));
  }
  children.forEach((c) => out.appendChild(c));
  return [out];
}

export function sanitizeHtml(html: string): string {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const holder = doc.createElement('div');
  [...doc.body.childNodes].flatMap((c) => clean(c, doc)).forEach((c) => holder.appendChild(c));
  return holder.innerHTML;
}

/** Plain text turned into safe HTML (for comments without server-rendered html). */
export function textToHtml(text: string): string {
  const d = document.createElement('div');
  d.textContent = text;
  return d.innerHTML.replace(/\n/g, '<br>');
}
