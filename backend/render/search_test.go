package render

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestContainsFoldASCII(t *testing.T) {
	for _, tc := range []struct {
		hay, needle string
		want        bool
	}{
		{"Hello World", "world", true}, {"Hello World", "hello w", true}, {"Hello", "hellO", false},
		{"abc", "", true}, {"", "a", false}, {"aaab", "aab", true}, {"AAAB", "aab", true},
		{"x-9", "-9", true}, {"ab", "abc", false}, {"CoMmA 99", "comma 99", true}, {"ab", "b", true},
	} {
		assert.Equal(t, tc.want, containsFoldASCII([]byte(tc.hay), []byte(tc.needle)), "%q in %q", tc.needle, tc.hay)
	}
	assert.True(t, isASCII([]byte("plain ascii text, long enough")))
	assert.False(t, isASCII([]byte("plain ascii text, long enough é")))
	assert.False(t, isASCII([]byte("é")))
}
