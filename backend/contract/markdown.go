package contract

import (
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// RenderMarkdown turns comment markdown into HTML that is safe to insert into the app. It
// never passes HTML through: every character of the input is escaped, and the only tags in
// the output are the ones this renderer writes:
//
//   - paragraphs (separated by blank lines), with single line breaks kept as <br>;
//   - **strong** / __strong__, *emphasis* / _emphasis_ (underscores only at word edges, so
//     snake_case_names stay as they are), `inline code`, ``` fenced code blocks ```;
//   - [text](https://link) and bare http(s) URLs, as links that open in a new tab without
//     an opener or referrer; any other scheme (javascript:, data:, ...) stays plain text;
//   - "- ", "* ", "+ " and "1. " lists (one level; indented lines continue an item);
//   - "> " block quotes.
func RenderMarkdown(src string) string {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	src = strings.ToValidUTF8(src, "\uFFFD")
	src = strings.ReplaceAll(src, "\x00", "\uFFFD")
	out, _ := renderMarkdown(src, inlineBudget(len(src)))
	return out
}

// renderMarkdown renders src (already normalised) with a budget of inline work: the bytes
// the inline parser may scan looking for closing delimiters. It returns the HTML and what is
// left of the budget (below zero by at most one search of a line when it ran out).
func renderMarkdown(src string, budget int) (string, int) {
	var b strings.Builder
	work := budget
	renderBlocks(&b, strings.Split(src, "\n"), 0, &work)
	return b.String(), work
}

// inlineBudget bounds the inline parser's work to a fixed multiple of the comment's size.
// Ordinary text never comes near it; text built to make the search for closing delimiters
// rescan each line (thousands of unclosed "*_" or "[") would otherwise cost seconds on every
// request view. Once it is spent, the rest of the comment is escaped text without markup.
func inlineBudget(n int) int { return 8*n + 64<<10 }

const maxQuoteDepth = 8

var (
	bulletRe  = regexp.MustCompile(`^ {0,3}[-*+][ \t]+`)
	orderedRe = regexp.MustCompile(`^ {0,3}\d{1,9}[.)][ \t]+`)
	quoteRe   = regexp.MustCompile(`^ {0,3}> ?`)
	fenceRe   = regexp.MustCompile("^ {0,3}```")
)

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

func renderBlocks(b *strings.Builder, lines []string, depth int, work *int) {
	for i := 0; i < len(lines); {
		line := lines[i]
		switch {
		case isBlank(line):
			i++
		case fenceRe.MatchString(line):
			j := i + 1
			for j < len(lines) && !fenceRe.MatchString(lines[j]) {
				j++
			}
			b.WriteString("<pre><code>")
			b.WriteString(html.EscapeString(strings.Join(lines[i+1:j], "\n")))
			b.WriteString("</code></pre>")
			i = min(j+1, len(lines))
		case quoteRe.MatchString(line) && depth < maxQuoteDepth:
			var inner []string
			for i < len(lines) && quoteRe.MatchString(lines[i]) {
				inner = append(inner, quoteRe.ReplaceAllString(lines[i], ""))
				i++
			}
			b.WriteString("<blockquote>")
			renderBlocks(b, inner, depth+1, work)
			b.WriteString("</blockquote>")
		case bulletRe.MatchString(line), orderedRe.MatchString(line):
			re, tag := bulletRe, "ul"
			if !bulletRe.MatchString(line) {
				re, tag = orderedRe, "ol"
			}
			b.WriteString("<" + tag + ">")
			for i < len(lines) && re.MatchString(lines[i]) {
				item := []string{re.ReplaceAllString(lines[i], "")}
				i++
				// Indented lines continue the item.
				for i < len(lines) && !isBlank(lines[i]) && (strings.HasPrefix(lines[i], "  ") || strings.HasPrefix(lines[i], "\t")) &&
					!bulletRe.MatchString(lines[i]) && !orderedRe.MatchString(lines[i]) {
					item = append(item, strings.TrimSpace(lines[i]))
					i++
				}
				b.WriteString("<li>")
				renderLines(b, item, work)
				b.WriteString("</li>")
			}
			b.WriteString("</" + tag + ">")
		default:
			var para []string
			for i < len(lines) && !isBlank(lines[i]) && !fenceRe.MatchString(lines[i]) &&
				!(quoteRe.MatchString(lines[i]) && depth < maxQuoteDepth) &&
				!bulletRe.MatchString(lines[i]) && !orderedRe.MatchString(lines[i]) {
				para = append(para, lines[i])
				i++
			}
			b.WriteString("<p>")
			renderLines(b, para, work)
			b.WriteString("</p>")
		}
	}
}

// renderLines renders the inline content of lines joined by <br>.
func renderLines(b *strings.Builder, lines []string, work *int) {
	for i, l := range lines {
		if i > 0 {
			b.WriteString("<br>")
		}
		l = strings.TrimRight(l, " \t")
		if len(l) > maxInlineLine {
			b.WriteString(html.EscapeString(l)) // bounds the work: inline parsing is quadratic at worst
			continue
		}
		renderInline(b, l, work)
	}
}

// maxInlineLine is the longest line whose inline markup is rendered.
const maxInlineLine = 4000

// renderInline renders emphasis, code and links of one line; everything else is escaped.
// The scans for closing delimiters are charged to work; when it is spent, the rest of the
// line is escaped as it is.
func renderInline(b *strings.Builder, s string, work *int) {
	var prev byte // the last source byte written (0 at the start)
	for len(s) > 0 {
		if *work <= 0 {
			b.WriteString(html.EscapeString(s))
			return
		}
		atWordEdge := prev == 0 || !isWordByte(prev)
		switch {
		case s[0] == '`':
			end := strings.IndexByte(s[1:], '`')
			*work -= scanned(end, len(s))
			if end > 0 {
				b.WriteString("<code>")
				b.WriteString(html.EscapeString(s[1 : 1+end]))
				b.WriteString("</code>")
				prev, s = '`', s[end+2:]
				continue
			}
		case s[0] == '[':
			if text, url, rest, ok := cutLink(s, work); ok {
				writeLink(b, url, func() { renderInline(b, text, work) })
				prev, s = ')', rest
				continue
			}
		case (s[0] == 'h' || s[0] == 'H') && atWordEdge:
			if url, rest, ok := cutBareURL(s); ok {
				writeLink(b, url, func() { b.WriteString(html.EscapeString(url)) })
				prev, s = url[len(url)-1], rest
				continue
			}
		case s[0] == '*' || (s[0] == '_' && atWordEdge):
			if inner, rest, tag, ok := cutEmphasis(s, work); ok {
				b.WriteString("<" + tag + ">")
				renderInline(b, inner, work)
				b.WriteString("</" + tag + ">")
				prev, s = s[0], rest
				continue
			}
		}
		// Plain text up to the next byte that may start markup.
		n := 1
		for n < len(s) && !strings.ContainsRune("`[*_hH", rune(s[n])) {
			n++
		}
		b.WriteString(html.EscapeString(s[:n]))
		prev, s = s[n-1], s[n:]
	}
}

// scanned is the work of one search of n bytes that matched at i (or nothing, i < 0): the
// bytes scanned plus searchCost for the call itself.
func scanned(i, n int) int {
	if i < 0 {
		return n + searchCost
	}
	return i + 1 + searchCost
}

// searchCost is what one search costs beyond the bytes it scans, in bytes.
const searchCost = 16

func isWordByte(c byte) bool {
	return c >= utf8.RuneSelf || c == '_' || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c))
}

// safeURL accepts only absolute http and https URLs without spaces, quotes, angle brackets
// or control characters.
func safeURL(u string) bool {
	l := strings.ToLower(u)
	if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
		return false
	}
	if len(u) <= len("https://") || len(u) > 2000 {
		return false
	}
	for _, r := range u {
		if r <= ' ' || r == 0x7f || r == '"' || r == '\'' || r == '<' || r == '>' || r == '`' || r == '\\' {
			return false
		}
	}
	return true
}

func writeLink(b *strings.Builder, url string, text func()) {
	b.WriteString(`<a href="`)
	b.WriteString(html.EscapeString(url))
	b.WriteString(`" rel="noopener noreferrer nofollow" target="_blank">`)
	text()
	b.WriteString("</a>")
}

// cutLink parses [text](url) at the start of s; the bytes it scans are charged to work.
func cutLink(s string, work *int) (text, url, rest string, ok bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				*work -= i + 1 + searchCost
				if i+1 >= len(s) || s[i+1] != '(' {
					return "", "", "", false
				}
				end := strings.IndexByte(s[i+2:], ')')
				*work -= scanned(end, len(s)-i-2)
				if end < 0 {
					return "", "", "", false
				}
				url = strings.TrimSpace(s[i+2 : i+2+end])
				if !safeURL(url) || i == 1 {
					return "", "", "", false
				}
				return s[1:i], url, s[i+2+end+1:], true
			}
		}
	}
	*work -= len(s) + searchCost
	return "", "", "", false
}

// cutBareURL takes an http(s) URL at the start of s, without trailing punctuation.
func cutBareURL(s string) (url, rest string, ok bool) {
	l := strings.ToLower(s[:min(len(s), 8)])
	if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
		return "", "", false
	}
	end := strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '<' || r == '>' || r == '"' || r == '\'' || r == '`'
	})
	if end < 0 {
		end = len(s)
	}
	url = strings.TrimRight(s[:end], ".,;:!?)]*_")
	if !safeURL(url) {
		return "", "", false
	}
	return url, s[len(url):], true
}

// cutEmphasis parses **strong**, __strong__, *em* or _em_ at the start of s. The text inside
// must not start or end with a space; underscores must not be inside a word. The bytes it
// scans are charged to work.
func cutEmphasis(s string, work *int) (inner, rest, tag string, ok bool) {
	c := s[0]
	delim, tag := s[:1], "em"
	if len(s) > 1 && s[1] == c {
		delim, tag = s[:2], "strong"
	}
	body := s[len(delim):]
	if body == "" || body[0] == ' ' || body[0] == '\t' {
		return "", "", "", false
	}
	from := 0
	for {
		if *work <= 0 {
			return "", "", "", false
		}
		i := strings.Index(body[from:], delim)
		*work -= scanned(i, len(body)-from)
		if i < 0 {
			return "", "", "", false
		}
		i += from
		after := body[i+len(delim):]
		if i > 0 && body[i-1] != ' ' && body[i-1] != '\t' &&
			(len(delim) == 2 || !strings.HasPrefix(after, delim[:1])) &&
			(c != '_' || after == "" || !isWordByte(after[0])) {
			return body[:i], after, tag, true
		}
		from = i + 1
		if from >= len(body) {
			return "", "", "", false
		}
	}
}
