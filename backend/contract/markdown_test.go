package contract

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRenderMarkdown(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"paragraphs and line breaks", "one\ntwo\n\nthree", "<p>one<br>two</p><p>three</p>"},
		{"emphasis", "**bold** and *it* and __b__ and _i_", "<p><strong>bold</strong> and <em>it</em> and <strong>b</strong> and <em>i</em></p>"},
		{"snake_case stays", "see my_table_name and _x_", "<p>see my_table_name and <em>x</em></p>"},
		{"inline code is escaped verbatim", "run `a <b> *c*`", "<p>run <code>a &lt;b&gt; *c*</code></p>"},
		{"link", "[the docs](https://example.org/a?b=1&c=2)", `<p><a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow" target="_blank">the docs</a></p>`},
		{"bare url without trailing dot", "see https://example.org/x.", `<p>see <a href="https://example.org/x" rel="noopener noreferrer nofollow" target="_blank">https://example.org/x</a>.</p>`},
		{"lists", "- a\n- b\n  more\n\n1. x\n2. y", "<ul><li>a</li><li>b<br>more</li></ul><ol><li>x</li><li>y</li></ol>"},
		{"quote", "> quoted\n> **text**", "<blockquote><p>quoted<br><strong>text</strong></p></blockquote>"},
		{"fence", "```\n<b>x</b>\n```", "<pre><code>&lt;b&gt;x&lt;/b&gt;</code></pre>"},
		{"html is escaped", "<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"},
		{"javascript link is text", "[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>"},
		{"quotes in a link cannot break out", `[x](https://a.org/"onmouseover="alert(1))`, `<p>[x](<a href="https://a.org/" rel="noopener noreferrer nofollow" target="_blank">https://a.org/</a>&#34;onmouseover=&#34;alert(1))</p>`},
		{"image syntax is text", "![i](https://a.org/i.png)", `<p>!<a href="https://a.org/i.png" rel="noopener noreferrer nofollow" target="_blank">i</a></p>`},
		{"unclosed emphasis", "2 * 3 = 6 and a*", "<p>2 * 3 = 6 and a*</p>"},
		{"empty", "", ""},
		{"crlf", "a\r\nb", "<p>a<br>b</p>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, RenderMarkdown(tc.in))
		})
	}
}

// allowedTag matches every tag the renderer may write.
var allowedTag = regexp.MustCompile(`^(?:</?(?:p|em|strong|code|pre|ul|ol|li|blockquote)>|<br>|</a>|<a href="https?://[^"<>]*" rel="noopener noreferrer nofollow" target="_blank">)`)

// checkSafe asserts that out contains only the renderer's own tags, and that its tags nest.
func checkSafe(t *testing.T, in, out string) {
	t.Helper()
	var stack []string
	for i := 0; i < len(out); i++ {
		if out[i] != '<' {
			continue
		}
		m := allowedTag.FindString(out[i:])
		if m == "" {
			t.Fatalf("unexpected markup at %d of %q (input %q)", i, out, in)
		}
		name := strings.Trim(strings.Fields(m)[0], "<>/")
		switch {
		case name == "br":
		case strings.HasPrefix(m, "</"):
			if len(stack) == 0 || stack[len(stack)-1] != name {
				t.Fatalf("unbalanced %s in %q (input %q)", m, out, in)
			}
			stack = stack[:len(stack)-1]
		default:
			stack = append(stack, name)
		}
		i += len(m) - 1
	}
	if len(stack) != 0 {
		t.Fatalf("unclosed %v in %q (input %q)", stack, out, in)
	}
	if strings.Contains(strings.ToLower(out), "javascript:") && strings.Contains(out, `href="javascript`) {
		t.Fatalf("script link in %q", out)
	}
}

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{
		"**a** _b_ `c` [d](https://e.org) https://f.org\n- g\n1. h\n> i\n```\nj\n```",
		`<img src=x onerror=alert(1)>`, `[a](https://x.org/"><script>)`, "[[a](https://b.org)](https://c.org)",
		"*_**__`x`__**_*", "> > > - [x](http://y.org)", "\x00<\xff>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkSafe(t, in, RenderMarkdown(in))
	})
}

func TestRenderMarkdown_LongLinesStayLinear(t *testing.T) {
	in := strings.Repeat("[*_", 200_000)
	out := RenderMarkdown(in)
	assert.Equal(t, "<p>"+in+"</p>", out)
	checkSafe(t, in, RenderMarkdown(strings.Repeat("[a](https://b.org) *c* ", 150)))
}

// adversarialComments are comments built so that every delimiter searches the rest of its
// line for a closer it never finds (a megabyte each: what one JSON body may carry).
func adversarialComments() map[string]string {
	out := map[string]string{}
	for _, unit := range []string{"*a ", "_a ", "**a ", "*_a ", "[a", "[[a]", "`a "} {
		line := strings.Repeat(unit, maxInlineLine/len(unit))
		out[unit] = strings.Repeat(line+"\n", (1<<20)/(len(line)+1))
	}
	return out
}

// The inline work of a comment is bounded by a multiple of its size, so no comment can make
// every request view that shows it slow; what is left after the budget is still escaped.
func TestRenderMarkdown_WorkIsBounded(t *testing.T) {
	for unit, in := range adversarialComments() {
		budget := inlineBudget(len(in))
		out, left := renderMarkdown(in, budget)
		assert.GreaterOrEqual(t, left, -(maxInlineLine + searchCost), "%q: scanned %d bytes for a budget of %d", unit, budget-left, budget)
		assert.NotContains(t, out, "<script", unit)
		assert.Equal(t, strings.Count(in, "\n"), strings.Count(out, "<br>")+1, "%q: every line is rendered", unit)
	}
	// Ordinary comments stay far inside the budget.
	in := strings.Repeat("The **counts** in `table.csv` are *rounded*; see [the notes](https://example.org/n) and_this.\n", 2000)
	_, left := renderMarkdown(in, inlineBudget(len(in)))
	assert.Greater(t, left, inlineBudget(len(in))/2)
}

func BenchmarkRenderMarkdownAdversarial(b *testing.B) {
	for unit, in := range adversarialComments() {
		b.Run(unit, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				RenderMarkdown(in)
			}
		})
	}
}
