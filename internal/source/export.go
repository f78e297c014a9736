package source

import (
	"context"
	"strings"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/redact"
)

// ExportRequest is a conversion of a database's own export (DynamoDB's
// "Export to S3") into a dump instead of a scan: exporter --from-export.
type ExportRequest struct {
	// URL is the export's directory in a store (…/AWSDynamoDB/<id>/).
	URL string
	// Source, when set, is the --source URL of the exported table's
	// database: the schema the export lacks is read from it.
	Source string
	// HashKey and RangeKey give the key schema by hand instead
	// ("name:S"; RangeKey may be empty).
	HashKey, RangeKey string
}

// ExportBackend reads one kind of native export as a Source whose units
// are the export's data files.
type ExportBackend struct {
	// Check checks the request and the user's --table without reading
	// anything, returning the table's name in dump paths.
	Check func(req ExportRequest, table string) (dumpTable string, err error)
	// Open opens the export (and the source, if the request names one).
	Open func(ctx context.Context, req ExportRequest, opts Options) (Source, error)
}

var exportRegistry = map[string]ExportBackend{}

// RegisterExport makes a native export reader available for the sources
// of a URL scheme. It panics on a duplicate scheme.
func RegisterExport(scheme string, b ExportBackend) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := exportRegistry[scheme]; dup {
		panic("source: export scheme registered twice: " + scheme)
	}
	exportRegistry[scheme] = b
}

// exportBackend picks the reader of a request: the one of its --source
// URL's scheme, or, without --source, the only one registered.
func exportBackend(req ExportRequest) (ExportBackend, error) {
	mu.RLock()
	defer mu.RUnlock()
	if req.Source != "" {
		scheme, _, _ := strings.Cut(req.Source, "://")
		b, ok := exportRegistry[scheme]
		if !ok {
			return ExportBackend{}, fault.Usagef("--from-export with --source %q: a %s source has no native export to read", redact.URL(req.Source), scheme)
		}
		return b, nil
	}
	if len(exportRegistry) != 1 {
		return ExportBackend{}, fault.Usagef("--from-export: name the export's database with --source (%d kinds of export known)", len(exportRegistry))
	}
	for _, b := range exportRegistry {
		return b, nil
	}
	panic("unreachable")
}

// CheckExport checks a --from-export request and --table without reading
// anything and returns the table's name in dump paths.
func CheckExport(req ExportRequest, table string) (string, error) {
	b, err := exportBackend(req)
	if err != nil {
		return "", err
	}
	return b.Check(req, table)
}

// OpenExport opens the native export a --from-export request names.
func OpenExport(ctx context.Context, req ExportRequest, opts Options) (Source, error) {
	b, err := exportBackend(req)
	if err != nil {
		return nil, err
	}
	return b.Open(ctx, req, opts)
}
