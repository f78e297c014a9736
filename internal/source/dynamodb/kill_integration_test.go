package dynamodb_test

import (
	"context"
	"fmt"
	"github.com/lading-dev/lading/internal/export/sourcetest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// smallItems makes n small items (pk S, sk N, v S).
func smallItems(n int) []map[string]types.AttributeValue {
	var items []map[string]types.AttributeValue
	for i := range n {
		items = append(items, map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("p%04d", i%97)},
			"sk": &types.AttributeValueMemberN{Value: fmt.Sprint(i)},
			"v":  &types.AttributeValueMemberS{Value: strings.Repeat("v", i%50)},
		})
	}
	return items
}

// progressDocs reads every progress commit of the dump.
func progressDocs(t testing.TB, root *objstore.Bucket, prefix string) []*manifest.Progress {
	t.Helper()
	objs, _, err := root.ListAll(context.Background(), prefix+"/"+manifest.ProgressDir, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []*manifest.Progress
	for _, o := range objs {
		data, err := root.ReadAll(context.Background(), o.Key)
		if err != nil {
			t.Fatal(err)
		}
		p, err := manifest.DecodeProgress(data)
		if err != nil {
			t.Fatalf("%s: %v", o.Key, err)
		}
		out = append(out, p)
	}
	return out
}

// The real binary, killed with SIGKILL in the middle of its segments and
// run again until it exits 0, leaves a dump with every item exactly once,
// and the runs after a kill resume each segment at its last progress
// commit (a committed page), not at the segment's start.
func TestDynamoExportKill9Resumes(t *testing.T) {
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, 10000)
	dynamotest.Put(t, c, table, smallItems(4000))
	dest := fileDest(t)
	args := []string{"--source", dynamotest.URL(t, ""), "--table", table, "--dest", dest, "--batch", "kill",
		"--splits", "2", "--parallel", "2", "--page-size", "25", "--part-size", "1KiB", "--progress-interval", "200ms", "--log-level", "info"}
	// The killed runs read at 2 RCU/s (about 4 pages a second); --max-rcu
	// is no option of the plan, so the last run goes fast.
	slow := append(append([]string{}, args...), "--max-rcu", "2")
	root := openRoot(t, dest)
	sourcetest.KillRepeatedly(t, 4, 800*time.Millisecond, sourcetest.Committed(t, root, "kill/"), slow...)
	prefix := onlyDump(t, root, "kill", table)
	before := progressDocs(t, root, prefix)
	commits, _, err := root.ListAll(context.Background(), prefix+"/"+manifest.CommitsDir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after the kills: %d progress commits, %d unit commits", len(before), len(commits))
	if len(before) == 0 || len(commits) == 2 {
		t.Fatalf("%d progress commits and %d of 2 units committed after the kills: they did not land mid-segment", len(before), len(commits))
	}
	code, out := runExporter(t, args...)
	if code != 0 || !strings.Contains(out, "dump complete") {
		t.Fatalf("final run: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "unit resumes at its last progress commit") {
		t.Errorf("the final run resumed no segment from its progress:\n%s", out)
	}
	_, items := dynamotest.ReadDump(t, root, prefix)
	sameItems(t, items, tableItems(t, c, table))
	resumed := 0
	for _, p := range progressDocs(t, root, prefix) {
		if p.Resumed > 0 {
			resumed++
		}
	}
	if resumed == 0 {
		t.Errorf("no progress commit was made by an attempt that resumed from another: every run started its segments over")
	}
}
