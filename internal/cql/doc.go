// Package cql is lading's door to Cassandra (and ScyllaDB through CQL
// compatibility): a session from a cassandra:// URL, a table's schema from
// the system tables, the token ring with the replicas of every range, the
// sub-ranges (splits) an export reads, and a paged, retried scan of one
// token range (or of one partition, for key-list exports) that hands over
// every value as raw CQL wire bytes, each page request passing through an
// optional throttle (rows per second, adaptive requests in flight).
//
// The exporter plans and reads with it; the loader reuses the session and
// schema parts for the Cassandra target. Driver types (gocql) stay inside
// this package except where a caller binds values (Raw).
//
// Credentials come only from CASSANDRA_USERNAME and CASSANDRA_PASSWORD and
// never appear in URLs, logs or errors.
package cql
