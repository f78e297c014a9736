package dynamodb_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/lading-dev/lading/internal/export/sourcetest"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lading-dev/lading/internal/source/dynamodb"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/objstore"
)

// The exporter binary and the dump helpers are the source suite's.
func exporterBinary(t testing.TB) string { return sourcetest.Binary(t) }

func runExporter(t testing.TB, args ...string) (int, string) { return sourcetest.Run(t, args...) }

func fileDest(t testing.TB) string { return sourcetest.FileDest(t) }

func openRoot(t testing.TB, u string) *objstore.Bucket { return sourcetest.OpenRoot(t, u) }

// onlyDump returns the prefix of the batch's one dump of the table.
func onlyDump(t testing.TB, root *objstore.Bucket, batch, table string) string {
	return sourcetest.OnlyDump(t, root, batch, "dynamodb."+table)
}

// canonical renders items as their sorted canonical lines.
func canonical(t testing.TB, items []format.DynamoItem) []string {
	t.Helper()
	out := make([]string, 0, len(items))
	for _, it := range items {
		line, err := format.AppendDynamoItem(nil, it)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(line))
	}
	slices.Sort(out)
	return out
}

// tableItems scans the whole table with the SDK: what the source holds.
func tableItems(t testing.TB, c *ddb.Client, table string) []format.DynamoItem {
	t.Helper()
	var out []format.DynamoItem
	p := ddb.NewScanPaginator(c, &ddb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			out = append(out, dynamodb.FromItem(it))
		}
	}
	return out
}

// sameItems fails unless the dump holds exactly the table's items, each
// once.
func sameItems(t testing.TB, dump, table []format.DynamoItem) {
	t.Helper()
	a, b := canonical(t, dump), canonical(t, table)
	for i := 1; i < len(a); i++ {
		if a[i] == a[i-1] {
			t.Errorf("item in the dump twice: %s", a[i])
		}
	}
	if len(a) != len(b) {
		t.Fatalf("the dump holds %d items, the table %d", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("item %d differs:\ndump:  %s\ntable: %s", i, a[i], b[i])
		}
	}
	// The decoded items convert back to the SDK's exactly.
	for i, it := range dump {
		back := dynamodb.FromItem(dynamodb.ToItem(it))
		x, _ := format.AppendDynamoItem(nil, back)
		y, _ := format.AppendDynamoItem(nil, it)
		if !bytes.Equal(x, y) {
			t.Fatalf("item %d does not survive ToItem: %s vs %s", i, x, y)
		}
	}
}

// Numbers that need all of DynamoDB's 38 digits of precision.
var bigNumbers = []string{
	"12345678901234567890123456789012345678",
	"-99999999999999999999999999999999999999",
	"0.12345678901234567890123456789012345678",
	"1.2345678901234567890123456789012345678",
	"-0.5",
	"0",
}

// allTypes makes n items with every attribute type: partition key pk
// (S) and sort key sk (N).
func allTypes(n int, seed uint64) []map[string]types.AttributeValue {
	rnd := rand.New(rand.NewPCG(seed, 1))
	str := func() string {
		const alphabet = "abcXYZ 09\"\\\n\t/é中😀<>&"
		r := []rune(alphabet)
		var b strings.Builder
		for range rnd.IntN(12) {
			b.WriteRune(r[rnd.IntN(len(r))])
		}
		return b.String()
	}
	bin := func() []byte {
		b := make([]byte, 1+rnd.IntN(20))
		for i := range b {
			b[i] = byte(rnd.IntN(256))
		}
		// Never {0x00} or {0xff, 0xfe}, the set "bs"'s other members.
		b[0] = byte(1 + rnd.IntN(0xfe))
		return b
	}
	var items []map[string]types.AttributeValue
	for i := range n {
		num := bigNumbers[i%len(bigNumbers)]
		it := map[string]types.AttributeValue{
			"pk":    &types.AttributeValueMemberS{Value: fmt.Sprintf("p%03d", i%37)},
			"sk":    &types.AttributeValueMemberN{Value: fmt.Sprint(i)},
			"s":     &types.AttributeValueMemberS{Value: str()},
			"empty": &types.AttributeValueMemberS{Value: ""},
			"n":     &types.AttributeValueMemberN{Value: num},
			"b":     &types.AttributeValueMemberB{Value: bin()},
			"yes":   &types.AttributeValueMemberBOOL{Value: i%2 == 0},
			"null":  &types.AttributeValueMemberNULL{Value: true},
			"ss":    &types.AttributeValueMemberSS{Value: []string{"a" + str(), "b" + str(), ""}},
			"ns":    &types.AttributeValueMemberNS{Value: []string{num, "7", "-1.5"}},
			"bs":    &types.AttributeValueMemberBS{Value: [][]byte{{0}, bin(), {0xff, 0xfe}}},
			"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{
				&types.AttributeValueMemberS{Value: "x"},
				&types.AttributeValueMemberN{Value: num},
				&types.AttributeValueMemberL{Value: []types.AttributeValue{}},
				&types.AttributeValueMemberSS{Value: []string{"in a list"}},
			}},
			"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"nested": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
					"deep": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberB{Value: bin()}}},
				}},
				"empty_map": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
				// A map whose only key is a tag must stay a map.
				"looks_like_a_set": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
					"SS": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "not a set"}}},
				}},
				"": &types.AttributeValueMemberS{Value: "empty attribute name in a map"},
			}},
		}
		if i%5 == 0 {
			delete(it, "b")
			delete(it, "ss")
		}
		items = append(items, it)
	}
	return items
}

// runExporterFor runs the binary and kills it (SIGKILL) after d if it
// is still running: exit code (-1 when killed) and output.
func runExporterFor(t testing.TB, d time.Duration, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(exporterBinary(t), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), out.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, out.String()
	case <-time.After(d):
	}
	_ = cmd.Process.Kill()
	<-done
	return -1, out.String()
}
