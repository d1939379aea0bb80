package cli

// postgresURL is the PostgreSQL database of the settings, "" for SQLite.
func postgresURL(Settings) string { return "" }
