package export

import "time"

// SetSchemaCheckInterval changes how often runs re-read the schema, for
// tests; it returns a function that restores the old interval.
func SetSchemaCheckInterval(d time.Duration) func() {
	old := schemaCheckInterval
	schemaCheckInterval = d
	return func() { schemaCheckInterval = old }
}
