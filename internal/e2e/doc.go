// Package e2e holds the whole-pipeline chaos soak test, built only with
// the chaos build tag (`make chaos`, scripts/test.sh chaos): a table
// generated in the test Cassandra goes through the real exporter, shipper
// and loader binaries, each killed with SIGKILL at random moments and run
// again until it succeeds, the shipper through a faulty network; then the
// restored table is compared with the source cell by cell. The package has
// no code of its own: without the tag it builds and has no tests, so
// `make test` never runs the soak.
package e2e
