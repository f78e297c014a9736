// Package export dumps one Cassandra table into a bucket by the
// plan/commit/finish protocol of DESIGN.md: the first run fixes the dump
// (<batch>/<table>/_state/dump.json) and its plan (_state/plan.json,
// units of token ranges sized from the ring and size estimates); workers
// read units range by range through internal/cql, encode rows with
// pkg/format into parts that stream into pkg/objstore, and commit each
// unit with a conditional create of _state/commits/<unit>.json; whoever
// finds every unit committed writes manifest.json, deletes the parts no
// commit lists and writes _SUCCESS last.
//
// A plan's units are token ranges or, with a key list (Config.Keys),
// slices of the list stored in the dump's _state/keys.ndjson. Shards
// (Config.Shard of Config.Shards) share the dump and its plan and take
// its units by index. The source is protected by a rate limit and an
// adaptive limit of page requests in flight (internal/throttle).
//
// Every step is idempotent, so a run killed anywhere is completed by the
// next one without losing or duplicating a row. cmd/exporter maps flags
// to Config and calls Run.
package export
