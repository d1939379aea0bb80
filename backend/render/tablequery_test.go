package render

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/trelab/airlock/backend/airlock"
)

func TestParseTableQuery(t *testing.T) {
	for _, bad := range []string{"offset=-1", "offset=x", "limit=0", "limit=1001", "limit=x", "sort=-2", "sort=a", "desc=maybe", "q=" + strings.Repeat("a", 1001)} {
		v, _ := url.ParseQuery(bad)
		_, err := ParseTableQuery(v)
		assert.Equal(t, airlock.CodeInvalid, airlock.ErrorCode(err), bad)
	}
	q, err := ParseTableQuery(url.Values{})
	require.NoError(t, err)
	assert.Equal(t, TableQuery{Limit: DefaultTableLimit, Sort: -1}, q)
	q, err = ParseTableQuery(url.Values{"limit": {"1000"}, "sort": {"2"}, "desc": {"true"}, "q": {" x "}, "offset": {"5"}})
	require.NoError(t, err)
	assert.Equal(t, TableQuery{Offset: 5, Limit: 1000, Sort: 2, Desc: true, Q: "x"}, q)
}
