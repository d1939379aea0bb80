package airlock

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A group name of only spaces (or nothing) is refused with a reason a person can act on,
// never taken as another group; other names are checked as before.
func TestCheckGroupName(t *testing.T) {
	r := &ReleaseRequest{Groups: []*FileGroup{{Name: "default"}}}
	for _, name := range []string{"", " ", "   ", "\t "} {
		err := CheckGroupName(r, name)
		assert.Equal(t, CodeInvalid, ErrorCode(err), "%q", name)
		assert.Contains(t, ErrorMessage(err), "at least one character other than spaces", "%q", name)
	}
	assert.NoError(t, CheckGroupName(r, "tables"))
	assert.NoError(t, CheckGroupName(r, "default"))
	assert.Equal(t, CodeConflict, ErrorCode(CheckGroupName(r, "Default")))
	assert.Equal(t, CodeInvalid, ErrorCode(CheckGroupName(r, "a/b")))
	assert.Equal(t, CodeInvalid, ErrorCode(CheckGroupName(r, strings.Repeat("x", MaxGroupNameLength+1))))
}
