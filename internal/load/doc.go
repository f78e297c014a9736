// Package load is the loader's machinery shared by every target: it finds
// the dumps due under a store root (internal/discover), reads each
// manifest strictly, proves every part's CRC32C and SHA-256 before any of
// its rows reaches the target (spooling to local disk within a budget, or
// reading the part twice with chunk checksums: measured and chosen per
// part), turns rows into the target's writes, groups them into batches
// sized to the target's hard limits and adjusted by feedback, writes them
// with bounded, adaptive concurrency (internal/throttle), keeps refused
// rows in reject files, verifies the result, and records every loaded part
// and dump in a ledger at <root>/_state/loads/<target-id>/.
//
// Targets plug in by URL scheme (Register): a target is one package under
// internal/load/targets/ that maps the manifest's schema onto its own
// tables. Its Table says what every target must (identity, incarnation,
// schema check, emptiness, count); how it loads is either RowLoader (the
// loader converts rows into mutations and writes batches within the
// target's Limits, as its Classify judges errors) or PartLoader (the
// target takes a proven part whole); Comparer, Claimer and the other
// optional interfaces add full verification and all-or-nothing loads.
// Every target passes the conformance suite in internal/load/targettest.
// Nothing outside a target's package switches on its name.
package load
