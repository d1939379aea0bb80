package cli

import "github.com/trelab/airlock/backend/store/postgres"

// postgresURL is the PostgreSQL database of the settings, "" for SQLite.
func postgresURL(s Settings) string {
	if postgres.IsURL(s.Database) {
		return s.Database
	}
	return ""
}
