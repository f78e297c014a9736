package dynamodb

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/redact"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// The documents of a native export ("Export to S3"), in the export's
// directory <prefix>/AWSDynamoDB/<export id>/.
const (
	summaryName = "manifest-summary.json"
	exportDir   = "AWSDynamoDB/"
)

func init() {
	source.RegisterExport(Scheme, source.ExportBackend{Check: checkExport, Open: openExport})
}

var _ source.Source = (*exportSource)(nil)

// exportSource reads a native DynamoDB export as a source: its data
// files are the plan's units (segment i = the i-th line of
// manifest-files.json), each verified against its item count and MD5.
type exportSource struct {
	store *objstore.Bucket // the export's directory
	table *Source          // the live table, when --source names it
	keys  []keyFlag        // the key schema from the flags otherwise
	opts  source.Options

	mu    sync.Mutex
	files []exportFile // as Describe last read them
}

// exportSummary is the fields of manifest-summary.json lading uses
// (AWS adds others; they are ignored).
type exportSummary struct {
	ExportArn          string `json:"exportArn"`
	TableArn           string `json:"tableArn"`
	TableID            string `json:"tableId"`
	ExportTime         string `json:"exportTime"`
	S3Prefix           string `json:"s3Prefix"`
	ManifestFilesS3Key string `json:"manifestFilesS3Key"`
	BilledSizeBytes    int64  `json:"billedSizeBytes"`
	ItemCount          *int64 `json:"itemCount"`
	OutputFormat       string `json:"outputFormat"`
	ExportType         string `json:"exportType"`
}

// exportFile is one line of manifest-files.json.
type exportFile struct {
	ItemCount     *int64 `json:"itemCount"`
	MD5Checksum   string `json:"md5Checksum"`
	ETag          string `json:"etag"`
	DataFileS3Key string `json:"dataFileS3Key"`
	rel           string // the key in the export's directory
	md5           []byte
}

// keyFlag is one key attribute given by --hash-key/--range-key.
type keyFlag struct{ name, typ, role string }

func parseKeyFlags(req source.ExportRequest) ([]keyFlag, error) {
	var out []keyFlag
	for _, k := range []struct{ flag, v, role string }{{"--hash-key", req.HashKey, "HASH"}, {"--range-key", req.RangeKey, "RANGE"}} {
		if k.v == "" {
			continue
		}
		name, typ, ok := strings.Cut(k.v, ":")
		if !ok || name == "" || (typ != "S" && typ != "N" && typ != "B") {
			return nil, fault.Usagef("%s %q: want NAME:TYPE with TYPE S, N or B (e.g. pk:S)", k.flag, k.v)
		}
		out = append(out, keyFlag{name: name, typ: typ, role: k.role})
	}
	switch {
	case req.Source != "" && len(out) > 0:
		return nil, fault.Usagef("--hash-key/--range-key and --source: give one (the key schema by hand, or the table to read it from)")
	case req.Source == "" && (len(out) == 0 || out[0].role != "HASH"):
		return nil, fault.Usagef("--from-export: an export holds no key schema; give --source dynamodb://… (DescribeTable) or --hash-key NAME:TYPE [--range-key NAME:TYPE]")
	case len(out) == 2 && out[0].name == out[1].name:
		return nil, fault.Usagef("--range-key %q: the same attribute as --hash-key", req.RangeKey)
	}
	return out, nil
}

func checkExport(req source.ExportRequest, table string) (string, error) {
	if _, err := objstore.ParseURL(req.URL); err != nil {
		return "", fault.Usagef("--from-export: %w", err)
	}
	if _, err := parseKeyFlags(req); err != nil {
		return "", err
	}
	if req.Source != "" {
		return check(req.Source, table)
	}
	return dumpTable(table)
}

func openExport(ctx context.Context, req source.ExportRequest, opts source.Options) (source.Source, error) {
	keys, err := parseKeyFlags(req)
	if err != nil {
		return nil, err
	}
	if err := source.RefuseProtection("DynamoDB export", opts.Protect); err != nil {
		return nil, err
	}
	store, err := objstore.Open(ctx, req.URL)
	if err != nil {
		return nil, fmt.Errorf("--from-export: %w", err)
	}
	x := &exportSource{store: store, keys: keys, opts: opts}
	if req.Source != "" {
		s, err := open(ctx, req.Source, opts)
		if err != nil {
			store.Close()
			return nil, err
		}
		x.table = s.(*Source)
	}
	return x, nil
}

// Close closes the export's store.
func (x *exportSource) Close() error { return x.store.Close() }

// where names a document of the export in messages.
func (x *exportSource) where(key string) string {
	return redact.URL(x.store.Location().Join(key).String())
}

// Describe reads the export's summary and file list and the table's key
// schema (from the live table or the flags). The table is the one the
// export's tableArn names, which must be --table.
func (x *exportSource) Describe(ctx context.Context, table string) (*manifest.Source, error) {
	sum, err := x.readSummary(ctx)
	if err != nil {
		return nil, err
	}
	region, name, err := parseTableArn(sum.TableArn)
	if err != nil {
		return nil, fault.Usagef("%s: tableArn %q: %w", x.where(summaryName), sum.TableArn, err)
	}
	if name != table {
		return nil, fault.Usagef("%s: the export is of table %s, not --table %s", x.where(summaryName), name, table)
	}
	at, _ := time.Parse(time.RFC3339Nano, sum.ExportTime) // checked by readSummary
	files, digest, err := x.readFiles(ctx, sum)
	if err != nil {
		return nil, err
	}
	var d manifest.DynamoDBTable
	if x.table != nil {
		live, err := x.table.Describe(ctx, table)
		if err != nil {
			return nil, err
		}
		d = live.DynamoDB
		if id := d.TableID; sum.TableID != "" && id != sum.TableID && id != sum.TableArn {
			return nil, fault.Usagef("table %s is not the table exported (table id %s, the export's %s): it was created again since; give the key schema with --hash-key/--range-key instead of --source", table, id, sum.TableID)
		}
	} else {
		d = x.flagTable(name)
	}
	d.TableID = sum.TableID
	if d.TableID == "" {
		d.TableID = sum.TableArn
	}
	d.ItemCount, d.SizeBytes = *sum.ItemCount, sum.BilledSizeBytes
	d.Export = manifest.DynamoDBExport{ARN: sum.ExportArn, Time: at.UTC(), FilesSHA256: digest}
	x.mu.Lock()
	x.files = files
	x.mu.Unlock()
	return &manifest.Source{Kind: manifest.KindDynamoDB, Cluster: region, Table: tableOf(name), DynamoDB: d}, nil
}

// flagTable is the table as --hash-key/--range-key describe it: no
// indexes, billing mode unknown.
func (x *exportSource) flagTable(name string) manifest.DynamoDBTable {
	d := manifest.DynamoDBTable{Name: name, GlobalIndexes: []manifest.DynamoDBIndex{}, LocalIndexes: []manifest.DynamoDBIndex{}}
	for _, k := range x.keys {
		d.KeySchema = append(d.KeySchema, manifest.DynamoDBKey{Name: k.name, Role: k.role})
		d.Attributes = append(d.Attributes, manifest.DynamoDBAttribute{Name: k.name, Type: k.typ})
	}
	if len(d.Attributes) == 2 && d.Attributes[1].Name < d.Attributes[0].Name {
		d.Attributes[0], d.Attributes[1] = d.Attributes[1], d.Attributes[0]
	}
	return d
}

// parseTableArn splits arn:aws:dynamodb:REGION:ACCOUNT:table/NAME.
func parseTableArn(arn string) (region, name string, err error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "dynamodb" || !regionPattern.MatchString(parts[3]) {
		return "", "", errors.New("want arn:aws:dynamodb:REGION:ACCOUNT:table/NAME")
	}
	name, ok := strings.CutPrefix(parts[5], "table/")
	if !ok || !manifest.ValidDynamoDBTableName(name) {
		return "", "", errors.New("want a table/NAME resource of 3 to 255 letters, digits, '_', '-' and '.'")
	}
	return parts[3], name, nil
}

// readSummary reads manifest-summary.json and refuses what lading cannot
// convert: ION output, incremental exports, missing fields.
func (x *exportSource) readSummary(ctx context.Context) (*exportSummary, error) {
	data, err := x.store.ReadAll(ctx, summaryName)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, fault.Usagef("--from-export: no %s: want the export's directory, …/AWSDynamoDB/<export id>/", x.where(summaryName))
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", x.where(summaryName), err)
	}
	var s exportSummary
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fault.Usagef("%s: %w", x.where(summaryName), err)
	}
	bad := func(format string, args ...any) error {
		return fault.Usagef("%s: "+format, append([]any{x.where(summaryName)}, args...)...)
	}
	switch {
	case s.OutputFormat != "DYNAMODB_JSON":
		return nil, bad("outputFormat %q: only DYNAMODB_JSON exports can be converted (not ION)", s.OutputFormat)
	case s.ExportType != "" && s.ExportType != "FULL_EXPORT":
		return nil, bad("exportType %q: only full exports can be converted (an incremental export holds changes, not the table)", s.ExportType)
	case s.ExportArn == "":
		return nil, bad("no exportArn")
	case s.ManifestFilesS3Key == "":
		return nil, bad("no manifestFilesS3Key")
	case s.ItemCount == nil || *s.ItemCount < 0:
		return nil, bad("no itemCount")
	}
	if _, err := time.Parse(time.RFC3339Nano, s.ExportTime); err != nil {
		return nil, bad("exportTime %q: want an RFC 3339 time", s.ExportTime)
	}
	return &s, nil
}

// readFiles reads manifest-files.json (one JSON object a line) and
// checks that its item counts add up to the summary's; it returns the
// files and the list's SHA-256.
func (x *exportSource) readFiles(ctx context.Context, sum *exportSummary) ([]exportFile, string, error) {
	rel, err := relKey(sum, sum.ManifestFilesS3Key)
	if err != nil {
		return nil, "", fault.Usagef("%s: manifestFilesS3Key: %w", x.where(summaryName), err)
	}
	data, err := x.store.ReadAll(ctx, rel)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, "", fault.Usagef("--from-export: %s is missing", x.where(rel))
	}
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", x.where(rel), err)
	}
	var files []exportFile
	var total int64
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var f exportFile
		bad := func(format string, args ...any) error {
			return fault.Usagef("%s line %d: "+format, append([]any{x.where(rel), n}, args...)...)
		}
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			return nil, "", bad("%v", err)
		}
		if f.ItemCount == nil || *f.ItemCount < 0 {
			return nil, "", bad("no itemCount")
		}
		if f.md5, err = base64.StdEncoding.DecodeString(f.MD5Checksum); err != nil || len(f.md5) != 16 {
			return nil, "", bad("md5Checksum %q: want the base64 of an MD5", f.MD5Checksum)
		}
		if f.rel, err = relKey(sum, f.DataFileS3Key); err != nil {
			return nil, "", bad("dataFileS3Key: %v", err)
		}
		total += *f.ItemCount
		files = append(files, f)
	}
	if err := sc.Err(); err != nil {
		return nil, "", fault.Usagef("%s: %w", x.where(rel), err)
	}
	switch {
	case len(files) == 0:
		return nil, "", fault.Usagef("%s lists no data files", x.where(rel))
	case len(files) > manifest.MaxSegments:
		return nil, "", fault.Usagef("%s lists %d data files, more than lading's %d units", x.where(rel), len(files), manifest.MaxSegments)
	case total != *sum.ItemCount:
		return nil, "", fault.Verifyf("%s: the data files hold %d items, the summary's itemCount is %d", x.where(rel), total, *sum.ItemCount)
	}
	digest := sha256.Sum256(data)
	return files, hex.EncodeToString(digest[:]), nil
}

// relKey maps a key of the export's manifests (from the bucket's root:
// [s3Prefix/]AWSDynamoDB/<export id>/rest) to one in the export's
// directory (rest), so that an export copied elsewhere (another bucket,
// prefix or store) reads the same.
func relKey(sum *exportSummary, key string) (string, error) {
	k := key
	if sum.S3Prefix != "" {
		k = strings.TrimPrefix(k, strings.TrimSuffix(sum.S3Prefix, "/")+"/")
	}
	after, ok := strings.CutPrefix(k, exportDir)
	_, rest, ok2 := strings.Cut(after, "/")
	if !ok || !ok2 || rest == "" {
		return "", fmt.Errorf("%q is not under [prefix/]%s<export id>/", key, exportDir)
	}
	if err := objstore.ValidateKey(rest); err != nil || strings.Contains("/"+rest+"/", "/../") {
		return "", fmt.Errorf("%q: not a key inside the export", key)
	}
	return rest, nil
}

// Diff is the table's (key schema, identity), and the export's.
func (x *exportSource) Diff(planned, live *manifest.Source) string {
	p, l := planned.DynamoDB.Export, live.DynamoDB.Export
	switch {
	case p.ARN == "":
		return fmt.Sprintf("the dump was planned as a scan of the table, not a conversion of export %s (run it again without --from-export)", l.ARN)
	case p.ARN != l.ARN:
		return fmt.Sprintf("the dump was planned from export %s, this is export %s", p.ARN, l.ARN)
	case p.FilesSHA256 != l.FilesSHA256:
		return fmt.Sprintf("the export's manifest-files.json changed since the dump was planned (sha256 %s, now %s)", p.FilesSHA256, l.FilesSHA256)
	}
	return diffTables(planned, live)
}

// Options: whole items, as the export holds them at its export time (a
// consistent snapshot: STRONG). Scan options are refused.
func (x *exportSource) Options(live *manifest.Source, req source.Request) (manifest.Options, error) {
	if req.ConsistentRead {
		return manifest.Options{}, source.Unsupported("DynamoDB export", "--consistent-read (an export is a snapshot at its export time)")
	}
	o, err := (&Source{}).Options(live, req)
	o.Consistency = manifest.ConsistencyStrong
	return o, err
}

// Plan makes one unit a data file, in the order of manifest-files.json.
func (x *exportSource) Plan(_ context.Context, _ *manifest.Source, req source.PlanRequest) ([]manifest.Unit, error) {
	if req.Splits > 0 {
		return nil, fault.Usagef("--splits: the units of an export's conversion are its data files")
	}
	x.mu.Lock()
	n := len(x.files)
	x.mu.Unlock()
	units := make([]manifest.Unit, n)
	for i := range units {
		units[i] = manifest.Unit{ID: manifest.SegmentUnitID(i), Ranges: []manifest.TokenRange{}}
	}
	return units, nil
}
