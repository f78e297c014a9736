// Package dynamodb is the exporter's DynamoDB source: dynamodb://REGION
// (or dynamodb://local?endpoint=http://host:port for a DynamoDB of one's
// own), the table's schema from DescribeTable, units that are the
// segments of a parallel Scan, paged by LastEvaluatedKey with each page's
// resume point handed to the export (which commits progress inside a
// segment), items encoded by pkg/format's DynamoDB mapping, and the
// table's read capacity protected by a token bucket fed from
// ReturnConsumedCapacity, with adaptive backoff on throttling.
// Credentials come from the AWS credential chain only.
package dynamodb

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/logging"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/redact"
	"github.com/lading-dev/lading/internal/source"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/schema"
)

// Scheme is the URL scheme of DynamoDB sources.
const Scheme = "dynamodb"

// localRegion is the URL host that names an endpoint of one's own; the
// requests are signed for localSigningRegion.
const (
	localRegion        = "local"
	localSigningRegion = "us-east-1"
)

func init() { source.Register(Scheme, source.Backend{Check: check, Open: open}) }

var _ source.Source = (*Source)(nil)

// Source is one DynamoDB endpoint (a region, or a local endpoint).
type Source struct {
	client *ddb.Client
	region string // as the URL names it ("local" for an endpoint)
	opts   source.Options
}

// location is a parsed dynamodb:// URL.
type location struct {
	region   string
	endpoint string
}

var regionPattern = regexp.MustCompile(`^[a-z0-9-]+$`)

// parseURL parses dynamodb://REGION[?endpoint=URL]. The only parameter
// is endpoint; "local" needs one.
func parseURL(raw string) (location, error) {
	bad := func(format string, args ...any) error {
		return fault.Usagef("source URL %q: "+format, append([]any{redact.URL(raw)}, args...)...)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != Scheme {
		return location{}, bad("want dynamodb://REGION or dynamodb://local?endpoint=http://host:port")
	}
	if u.User != nil {
		return location{}, bad("credentials in the URL are not accepted; they come from the AWS credential chain")
	}
	if u.Path != "" && u.Path != "/" {
		return location{}, bad("path %q: a DynamoDB URL names a region only (the table is --table)", u.Path)
	}
	if u.Fragment != "" || u.Opaque != "" {
		return location{}, bad("want dynamodb://REGION")
	}
	loc := location{region: u.Host}
	if !regionPattern.MatchString(loc.region) {
		return location{}, bad("region %q: want e.g. us-east-1, or local with ?endpoint=", u.Host)
	}
	for k, vs := range u.Query() {
		switch k {
		case "endpoint":
			if len(vs) != 1 {
				return location{}, bad("endpoint given %d times", len(vs))
			}
			e, err := url.Parse(vs[0])
			if err != nil || (e.Scheme != "http" && e.Scheme != "https") || e.Host == "" || e.User != nil {
				return location{}, bad("endpoint %q: want http(s)://host:port", redact.URL(vs[0]))
			}
			loc.endpoint = vs[0]
		default:
			return location{}, bad("unknown parameter %q (known: endpoint)", k)
		}
	}
	if loc.region == localRegion && loc.endpoint == "" {
		return location{}, bad("dynamodb://local needs ?endpoint=http://host:port")
	}
	return loc, nil
}

// check parses the URL and the table name; the dump's table is
// dynamodb.<name>.
func check(raw, table string) (string, error) {
	if _, err := parseURL(raw); err != nil {
		return "", err
	}
	return dumpTable(table)
}

// dumpTable checks --table and returns its name in dump paths,
// "dynamodb.<name>" (manifest.DynamoDBDumpTable).
func dumpTable(table string) (string, error) {
	d, err := manifest.DynamoDBDumpTable(table)
	if err != nil {
		return "", fault.Usagef("--table %q: %w", table, err)
	}
	return d, nil
}

func open(ctx context.Context, raw string, opts source.Options) (source.Source, error) {
	loc, err := parseURL(raw)
	if err != nil {
		return nil, err
	}
	region := loc.region
	if region == localRegion {
		region = localSigningRegion
	}
	// Retries are the scanner's (with the throttle controller told of
	// each throttled answer), not the SDK's.
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region),
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		config.WithLogger(logging.Nop{}))
	if err != nil {
		return nil, fmt.Errorf("dynamodb: load AWS configuration: %w", err)
	}
	client := ddb.NewFromConfig(cfg, func(o *ddb.Options) {
		if loc.endpoint != "" {
			o.BaseEndpoint = aws.String(loc.endpoint)
		}
	})
	return &Source{client: client, region: loc.region, opts: opts}, nil
}

// Close releases nothing: the client holds no connection of its own.
func (s *Source) Close() error { return nil }

// Describe reads the table's schema with DescribeTable.
func (s *Source) Describe(ctx context.Context, table string) (*manifest.Source, error) {
	out, err := s.client.DescribeTable(ctx, &ddb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		if isNotFound(err) {
			return nil, fault.Usagef("--table %s: no such DynamoDB table in %s", table, s.region)
		}
		return nil, fmt.Errorf("describe table %s: %w", table, err)
	}
	t := out.Table
	d := manifest.DynamoDBTable{
		Name:          aws.ToString(t.TableName),
		TableID:       aws.ToString(t.TableId),
		KeySchema:     keySchema(t.KeySchema),
		GlobalIndexes: []manifest.DynamoDBIndex{},
		LocalIndexes:  []manifest.DynamoDBIndex{},
		BillingMode:   string(types.BillingModeProvisioned),
		ItemCount:     aws.ToInt64(t.ItemCount),
		SizeBytes:     aws.ToInt64(t.TableSizeBytes),
	}
	if d.TableID == "" {
		// Emulators may leave it out; the ARN names the table as well.
		d.TableID = aws.ToString(t.TableArn)
	}
	for _, a := range t.AttributeDefinitions {
		d.Attributes = append(d.Attributes, manifest.DynamoDBAttribute{Name: aws.ToString(a.AttributeName), Type: string(a.AttributeType)})
	}
	slices.SortFunc(d.Attributes, func(a, b manifest.DynamoDBAttribute) int { return strings.Compare(a.Name, b.Name) })
	if t.BillingModeSummary != nil && t.BillingModeSummary.BillingMode != "" {
		d.BillingMode = string(t.BillingModeSummary.BillingMode)
	}
	if t.ProvisionedThroughput != nil && d.BillingMode == string(types.BillingModeProvisioned) {
		d.ReadCapacity = aws.ToInt64(t.ProvisionedThroughput.ReadCapacityUnits)
	}
	for _, g := range t.GlobalSecondaryIndexes {
		d.GlobalIndexes = append(d.GlobalIndexes, index(aws.ToString(g.IndexName), g.KeySchema, g.Projection))
	}
	for _, l := range t.LocalSecondaryIndexes {
		d.LocalIndexes = append(d.LocalIndexes, index(aws.ToString(l.IndexName), l.KeySchema, l.Projection))
	}
	byName := func(a, b manifest.DynamoDBIndex) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(d.GlobalIndexes, byName)
	slices.SortFunc(d.LocalIndexes, byName)
	cluster := s.region
	return &manifest.Source{
		Kind:     manifest.KindDynamoDB,
		Cluster:  cluster,
		Table:    tableOf(d.Name),
		DynamoDB: d,
	}, nil
}

func keySchema(ks []types.KeySchemaElement) []manifest.DynamoDBKey {
	out := make([]manifest.DynamoDBKey, 0, len(ks))
	for _, k := range ks {
		out = append(out, manifest.DynamoDBKey{Name: aws.ToString(k.AttributeName), Role: string(k.KeyType)})
	}
	// HASH first, then RANGE.
	slices.SortStableFunc(out, func(a, b manifest.DynamoDBKey) int { return strings.Compare(a.Role, b.Role) })
	return out
}

func index(name string, ks []types.KeySchemaElement, p *types.Projection) manifest.DynamoDBIndex {
	x := manifest.DynamoDBIndex{Name: name, KeySchema: keySchema(ks), Projection: "ALL", NonKeyAttributes: []string{}}
	if p != nil {
		if p.ProjectionType != "" {
			x.Projection = string(p.ProjectionType)
		}
		x.NonKeyAttributes = append(x.NonKeyAttributes, p.NonKeyAttributes...)
		slices.Sort(x.NonKeyAttributes)
	}
	return x
}

// Diff refuses another table (a new TableID: deleted and created again)
// and a changed key schema or attribute definitions. Indexes, capacity
// and the size estimates may change during an export: the items read
// are the same.
func (s *Source) Diff(planned, live *manifest.Source) string {
	if arn := planned.DynamoDB.Export.ARN; arn != "" {
		return fmt.Sprintf("the dump was planned as a conversion of export %s, not a scan (run it again with --from-export)", arn)
	}
	return diffTables(planned, live)
}

// diffTables describes the first difference of the tables that matters
// to the rows, whatever read them.
func diffTables(planned, live *manifest.Source) string {
	p, l := &planned.DynamoDB, &live.DynamoDB
	switch {
	case planned.Kind != live.Kind:
		return fmt.Sprintf("the dump was planned from a %s source, this is %s", planned.Kind, live.Kind)
	case planned.Cluster != live.Cluster:
		return fmt.Sprintf("the dump was planned from DynamoDB %s, the source is %s", planned.Cluster, live.Cluster)
	case p.Name != l.Name:
		return fmt.Sprintf("the dump was planned from table %s, this is %s", p.Name, l.Name)
	case p.TableID != l.TableID:
		return fmt.Sprintf("table %s was deleted and created again since the dump was planned (table id %s, now %s)", l.Name, p.TableID, l.TableID)
	case !slices.Equal(p.KeySchema, l.KeySchema):
		return fmt.Sprintf("the key schema of %s changed since the dump was planned: %v, now %v", l.Name, p.KeySchema, l.KeySchema)
	}
	for _, a := range p.Attributes {
		i := slices.IndexFunc(l.Attributes, func(b manifest.DynamoDBAttribute) bool { return b.Name == a.Name })
		if i >= 0 && l.Attributes[i].Type != a.Type {
			return fmt.Sprintf("attribute %s of %s changed type from %s to %s", a.Name, l.Name, a.Type, l.Attributes[i].Type)
		}
	}
	return ""
}

// Options: whole items; consistency from --consistent-read. CQL's
// options are refused.
func (s *Source) Options(live *manifest.Source, req source.Request) (manifest.Options, error) {
	switch {
	case len(req.Columns) > 0:
		return manifest.Options{}, source.Unsupported("DynamoDB", "--columns")
	case req.Where != "" || req.AllowFiltering:
		return manifest.Options{}, source.Unsupported("DynamoDB", "--where/--allow-filtering")
	case req.Writetime || req.TTL:
		return manifest.Options{}, source.Unsupported("DynamoDB", "--writetime/--ttl")
	case req.Consistency != "":
		return manifest.Options{}, fault.Usagef("--consistency: not a DynamoDB option (use --consistent-read)")
	case req.Keys:
		return manifest.Options{}, source.Unsupported("DynamoDB", "--keys")
	}
	if d := &live.DynamoDB; s.opts.Protect.ReadRatio > 0 && (d.BillingMode != string(types.BillingModeProvisioned) || d.ReadCapacity <= 0) {
		return manifest.Options{}, fault.Usagef("--read-ratio: table %s is on demand (%s), it has no provisioned read capacity to share; use --max-rcu", d.Name, d.BillingMode)
	}
	cons := manifest.ConsistencyEventual
	if req.ConsistentRead {
		cons = manifest.ConsistencyStrong
	}
	return manifest.Options{
		Compression: req.Compression,
		Consistency: cons,
		Columns:     []string{},
		LimitRows:   req.LimitRows,
		Mode:        manifest.ModeSegments,
		PartBytes:   req.PartBytes,
	}, nil
}

// Plan makes one unit a Scan segment: --splits segments, or enough for
// parts of the target size by the table's size estimate, and at least
// one for every reader of every shard.
func (s *Source) Plan(_ context.Context, live *manifest.Source, req source.PlanRequest) ([]manifest.Unit, error) {
	n := req.Splits
	if n == 0 {
		n = max(req.MinUnits, 1)
		if req.PartBytes > 0 {
			n = max(n, int(min(live.DynamoDB.SizeBytes/req.PartBytes+1, manifest.MaxSegments)))
		}
	}
	if n > manifest.MaxSegments {
		return nil, fault.Usagef("--splits %d: DynamoDB scans at most %d segments", n, manifest.MaxSegments)
	}
	units := make([]manifest.Unit, n)
	for i := range units {
		units[i] = manifest.Unit{ID: manifest.SegmentUnitID(i), Ranges: []manifest.TokenRange{}}
	}
	return units, nil
}

func tableOf(name string) schema.Table {
	return schema.Table{Keyspace: manifest.DynamoDBKeyspace, Name: name}
}
