// Package export dumps one table into a bucket by the plan/commit/finish
// protocol of DESIGN.md: the first run fixes the dump
// (<batch>/<table>/_state/dump.json) and its plan (_state/plan.json,
// units of work the source cuts the table into); workers scan units
// through the source (internal/source: Cassandra token ranges, DynamoDB
// Scan segments), write the rows into parts that stream into
// pkg/objstore, and commit each unit with a conditional create of
// _state/commits/<unit>.json; whoever finds every unit committed writes
// manifest.json, deletes the parts no commit lists and writes _SUCCESS
// last. A unit whose source can resume inside it (a DynamoDB segment)
// also commits its progress (_state/progress/<unit>/<seq>.json), so a
// later attempt continues from its last committed page.
//
// The source is picked by the --source URL's scheme (sources.go lists
// them); this package never speaks a database's protocol itself. A
// Cassandra plan's units may also be slices of a key list (Config.Keys)
// stored in the dump's _state/keys.ndjson. Shards (Config.Shard of
// Config.Shards) share the dump and its plan and take its units by
// index. The source is protected by a rate limit and an adaptive limit
// of page requests in flight (internal/throttle), and by whatever the
// source adds (DynamoDB's read-capacity bucket).
//
// Every step is idempotent, so a run killed anywhere is completed by the
// next one without losing or duplicating a row. cmd/exporter maps flags
// to Config and calls Run.
package export
