package httpapi

import (
	"testing"

	"github.com/trelab/airlock/backend/internal/pgtest"
)

// TestMain stops the private PostgreSQL cluster when the suite runs on PostgreSQL
// (AIRLOCK_TEST_STORE=postgres, backend/internal/testenv).
func TestMain(m *testing.M) { pgtest.Main(m) }
