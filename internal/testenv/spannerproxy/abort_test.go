package spannerproxy

import (
	"testing"

	sppb "cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// TestAbortRateSpreadEvenly: SetAbortRate(0.2) aborts exactly one commit
// in every five, so a test that asks for aborts always meets some (drawn
// at random, 25 commits met none about one time in 260, and a CI run
// failed so), and never aborts two in a row; unavailable answers count
// the commits that passed the abort check.
func TestAbortRateSpreadEvenly(t *testing.T) {
	p := &Proxy{MaxMutations: DefaultMaxMutations, MaxBytes: DefaultMaxBytes}
	p.SetAbortRate(0.2)
	p.SetUnavailableEvery(4)
	commit, err := proto.Marshal(&sppb.CommitRequest{Session: "s"})
	if err != nil {
		t.Fatal(err)
	}
	var codesSeen []codes.Code
	for range 100 {
		_, err := p.checkCommit(commit)
		codesSeen = append(codesSeen, status.Code(err))
	}
	if a, u, c := p.Aborted.Load(), p.Unavailable.Load(), p.Commits.Load(); a != 20 || u != 20 || c != 60 {
		t.Errorf("100 commits: %d aborted, %d unavailable, %d passed; want 20, 20, 60", a, u, c)
	}
	for i := 1; i < len(codesSeen); i++ {
		if codesSeen[i] == codes.Aborted && codesSeen[i-1] == codes.Aborted {
			t.Fatalf("commits %d and %d both aborted at rate 0.2", i, i+1)
		}
	}
	for i := 0; i+5 <= len(codesSeen); i += 5 {
		n := 0
		for _, c := range codesSeen[i : i+5] {
			if c == codes.Aborted {
				n++
			}
		}
		if n != 1 {
			t.Errorf("commits %d to %d: %d aborted, want 1", i+1, i+5, n)
		}
	}
}
