package sqlite

import (
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trelab/airlock/backend/airlock"
)

// The partial unique index that allows one current request per author and workspace lists
// exactly the statuses the domain calls active (FindCurrentRequest's list is the domain's:
// store/sqlstore's test).
func TestActiveStatusesMatchTheDomainAndTheIndex(t *testing.T) {
	var domain []airlock.Status
	for _, s := range airlock.Statuses {
		if s.IsActive() {
			domain = append(domain, s)
		}
	}
	require.NotEmpty(t, domain)

	ms, err := migrations()
	require.NoError(t, err)
	re := regexp.MustCompile(`(?s)CREATE UNIQUE INDEX requests_one_active ON requests \(workspace, author\)\s*WHERE status IN \(([^)]*)\)`)
	var inIndex []airlock.Status
	for _, m := range ms {
		if sub := re.FindStringSubmatch(m.SQL); sub != nil {
			inIndex = nil
			for _, q := range regexp.MustCompile(`'([A-Z_]+)'`).FindAllStringSubmatch(sub[1], -1) {
				inIndex = append(inIndex, airlock.Status(q[1]))
			}
		}
	}
	require.NotEmpty(t, inIndex, "requests_one_active not found in the migrations")
	slices.Sort(inIndex)
	slices.Sort(domain)
	assert.Equal(t, domain, inIndex)
}
