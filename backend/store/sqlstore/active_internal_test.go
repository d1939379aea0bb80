package sqlstore

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/trelab/airlock/backend/airlock"
)

// FindCurrentRequest and CurrentRequestID look for exactly the statuses the domain calls
// active (the stores' partial unique indexes list the same: their own tests).
func TestActiveStatusesMatchTheDomain(t *testing.T) {
	var domain []airlock.Status
	for _, s := range airlock.Statuses {
		if s.IsActive() {
			domain = append(domain, s)
		}
	}
	assert.NotEmpty(t, domain)
	assert.Equal(t, domain, activeStatuses)
}
