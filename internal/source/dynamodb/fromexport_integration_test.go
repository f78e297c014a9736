package dynamodb_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
	"github.com/lading-dev/lading/pkg/manifest"
)

// A native export converted with --from-export gives the same rows as a
// scan of the same table (every type: 38-digit N, B, sets, nested maps
// and lists, NULL), with the key schema read from the table or given by
// flags; the manifest names the export and its time.
func TestFromExportEqualsScan(t *testing.T) {
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, 10000)
	dynamotest.Put(t, c, table, allTypes(300, 11))
	x := buildExport(t, c, table, 3)
	dest := fileDest(t)
	common := []string{"--table", table, "--dest", dest, "--page-size", "40", "--part-size", "4KiB"}
	runs := []struct {
		batch string
		args  []string
	}{
		{"scan", []string{"--source", dynamotest.URL(t, "")}},
		{"described", []string{"--from-export", x.URL, "--source", dynamotest.URL(t, "")}},
		{"flags", []string{"--from-export", x.URL, "--hash-key", "pk:S", "--range-key", "sk:N"}},
	}
	root := openRoot(t, dest)
	var want []string
	for _, r := range runs {
		code, out := runExporter(t, append(append(slices.Clone(r.args), common...), "--batch", r.batch)...)
		if code != 0 || !strings.Contains(out, "dump complete") {
			t.Fatalf("%s: exit %d\n%s", r.batch, code, out)
		}
		m, items := dynamotest.ReadDump(t, root, onlyDump(t, root, r.batch, table))
		got := canonical(t, items)
		if r.batch == "scan" {
			want = got
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: the conversion's %d rows differ from the scan's %d", r.batch, len(got), len(want))
		}
		e := m.Source.DynamoDB.Export
		if e.ARN != x.ARN || !e.Time.Equal(exportTime) || m.Source.Kind != manifest.KindDynamoDB || len(m.Source.DynamoDB.KeySchema) != 2 {
			t.Errorf("%s: source %+v, want kind dynamodb, export %s at %s, 2 keys", r.batch, m.Source, x.ARN, exportTime)
		}
		for _, f := range m.Files {
			if !f.ReadAt.Equal(exportTime) {
				t.Errorf("%s: part %s read at %s, want the export time", r.batch, f.Name, f.ReadAt)
			}
		}
		if m.Options.Segments != len(x.Files) {
			t.Errorf("%s: %d units, want one a data file (%d)", r.batch, m.Options.Segments, len(x.Files))
		}
	}
}

// An export whose data or manifests do not match is refused: a corrupt
// data file or a wrong count with exit 3, an export lading cannot
// convert with exit 2; either way no manifest or _SUCCESS is written.
func TestFromExportRefused(t *testing.T) {
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, 10000)
	dynamotest.Put(t, c, table, smallItems(60))
	cases := []struct {
		name  string
		spoil func(t *testing.T, x *nativeExport)
		args  []string
		code  int
		msg   string
	}{
		{"corrupt data file", func(t *testing.T, x *nativeExport) {
			data, err := x.Dir.ReadAll(context.Background(), x.dataFile(1))
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0x40
			put(t, x.Dir, x.dataFile(1), data)
		}, nil, 3, ""},
		{"md5 mismatch", func(t *testing.T, x *nativeExport) {
			// The same items, gzipped anew: only the MD5 tells.
			data, err := x.Dir.ReadAll(context.Background(), x.dataFile(2))
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
			zw.Name = "again"
			if _, err := io.Copy(zw, zr); err != nil || zw.Close() != nil {
				t.Fatal(err)
			}
			put(t, x.Dir, x.dataFile(2), buf.Bytes())
		}, nil, 3, "MD5"},
		{"file item count", func(t *testing.T, x *nativeExport) {
			// The counts still add up to the summary's.
			x.Files[0]["itemCount"] = x.Files[0]["itemCount"].(int) + 1
			x.Files[1]["itemCount"] = x.Files[1]["itemCount"].(int) - 1
		}, nil, 3, "manifest-files.json says"},
		{"summary item count", func(t *testing.T, x *nativeExport) { x.Summary["itemCount"] = 61 }, nil, 3, "the summary's itemCount is 61"},
		{"ion", func(t *testing.T, x *nativeExport) { x.Summary["outputFormat"] = "ION" }, nil, 2, "not ION"},
		{"incremental", func(t *testing.T, x *nativeExport) { x.Summary["exportType"] = "INCREMENTAL_EXPORT" }, nil, 2, "only full exports"},
		{"wrong key schema", nil, []string{"--hash-key", "pk:N"}, 2, "no key attribute pk of type N"},
		{"no key schema", nil, []string{}, 2, "holds no key schema"},
		{"data file missing", func(t *testing.T, x *nativeExport) {
			if err := x.Dir.Delete(context.Background(), x.dataFile(0)); err != nil {
				t.Fatal(err)
			}
		}, nil, 3, "missing from the export"},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			x := buildExport(t, c, table, 3)
			if tc.spoil != nil {
				tc.spoil(t, x)
				x.writeManifests(t)
			}
			args := tc.args
			if args == nil {
				args = []string{"--hash-key", "pk:S", "--range-key", "sk:N"}
			}
			dest := fileDest(t)
			code, out := runExporter(t, append([]string{"--from-export", x.URL, "--table", table, "--dest", dest, "--batch", "bad"}, args...)...)
			if code != tc.code || !strings.Contains(out, tc.msg) {
				t.Fatalf("exit %d, want %d and %q\n%s", code, tc.code, tc.msg, out)
			}
			objs, _, err := openRoot(t, dest).ListAll(context.Background(), "", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				if strings.HasSuffix(o.Key, "/"+manifest.ManifestName) || strings.HasSuffix(o.Key, "/"+manifest.SuccessName) {
					t.Errorf("%s written by a refused conversion", o.Key)
				}
			}
		})
	}
}

// A dump is a scan or a conversion of one export, from its plan to its
// end: the other kind of run is refused (exit 2) on a dump under way.
func TestFromExportAndScanDoNotMix(t *testing.T) {
	c := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, c, dynamotest.Key{SortKey: true}, 10000)
	dynamotest.Put(t, c, table, smallItems(40))
	x := buildExport(t, c, table, 2)
	convert := []string{"--from-export", x.URL, "--hash-key", "pk:S", "--range-key", "sk:N"}
	scan := []string{"--source", dynamotest.URL(t, "")}
	for _, order := range [][2][]string{{convert, scan}, {scan, convert}} {
		dest := fileDest(t)
		common := []string{"--table", table, "--dest", dest, "--batch", "mix", "--splits", "2"}
		first := append(slices.Clone(order[0]), common...)
		if order[0][0] == "--from-export" {
			first = first[:len(first)-2] // a conversion's units are its files
		}
		if code, out := runExporter(t, append(first, "--shard", "0/2")...); code != 0 {
			t.Fatalf("shard 0/2: exit %d\n%s", code, out)
		}
		code, out := runExporter(t, append(append(slices.Clone(order[1]), common[:len(common)-2]...), "--shard", "1/2")...)
		if code != 2 || !strings.Contains(out, "the dump was planned as a") {
			t.Errorf("%s after %s: exit %d, want 2 and the plan's kind named\n%s", order[1][0], order[0][0], code, out)
		}
	}
}
