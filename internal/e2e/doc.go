// Package e2e holds tests that drive the real exporter and shipper
// binaries together against the test Cassandra and stores.
//
// Without build tags it runs the short whole-command scenarios (for
// example, a batch exported again after its dump was shipped with
// --delete-source). With the chaos build tag (`make chaos`,
// scripts/test.sh chaos) it adds the whole-pipeline soak test: a table
// generated in the test Cassandra goes through the real exporter, shipper
// and loader binaries, each killed with SIGKILL at random moments and run
// again until it succeeds, the shipper through a faulty network; then the
// restored table is compared with the source cell by cell. The package
// has no code of its own, only tests.
package e2e
