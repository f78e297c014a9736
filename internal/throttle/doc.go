// Package throttle protects the systems lading reads from and writes to.
// It is shared by the exporter (protecting the source cluster) and the
// loader (protecting the target):
//
//   - Limiter caps a rate (rows/s or operations/s) with a token bucket.
//   - Controller adapts a concurrency limit with AIMD: it shrinks the limit
//     multiplicatively when the remote side signals overload or its p99
//     latency exceeds a target, and grows it additively while healthy.
//     Besides its operations' latency it can judge probes of the remote
//     side's nodes (probe.go) and latency the servers report (server.go),
//     and it can pace operations below one in flight (pace.go).
//   - Retry runs an operation again on retryable errors with capped
//     exponential backoff and full jitter.
//
// Every decision is logged and recorded in the run report, so an operator
// can see afterwards why a run went as fast as it did.
package throttle
