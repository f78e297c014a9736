package main

import (
	"os/exec"
	"strings"
	"testing"
)

// status reads stores and ledgers only: it links no source driver (the
// Cassandra and DynamoDB clients, the exporter) and no target's client.
// A new import that pulls one in makes the binary larger for every
// operator who runs status from a dashboard host.
func TestStatusLinksNoDriver(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"gocql", "aws-sdk-go-v2/service/dynamodb", "lading/internal/source", "lading/internal/export", "lading/internal/ship", "lading/internal/load/targets", "cloud.google.com/go/spanner", "cloud.google.com/go/bigtable"} {
			if strings.Contains(pkg, banned) {
				t.Errorf("status links %s", pkg)
			}
		}
	}
}
