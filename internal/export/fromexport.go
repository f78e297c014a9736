package export

import (
	"context"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/internal/source"
)

// exportRequest is the --from-export conversion the options ask for.
func (c Config) exportRequest() source.ExportRequest {
	return source.ExportRequest{URL: c.FromExport, Source: c.Source, HashKey: c.HashKey, RangeKey: c.RangeKey}
}

// checkSource checks the source (a --source URL, or a --from-export
// request) and --table without connecting, and returns the table's name
// in dump paths.
func (c Config) checkSource() (string, error) {
	if c.FromExport == "" {
		if c.HashKey != "" || c.RangeKey != "" {
			return "", fault.Usagef("--hash-key/--range-key: only with --from-export (a scan reads the key schema from the table)")
		}
		return source.Check(c.Source, c.Table)
	}
	return source.CheckExport(c.exportRequest(), c.Table)
}

// openSource opens what the export reads: the source, or the native
// export to convert.
func (c Config) openSource(ctx context.Context, opts source.Options) (source.Source, error) {
	if c.FromExport == "" {
		return source.Open(ctx, c.Source, opts)
	}
	return source.OpenExport(ctx, c.exportRequest(), opts)
}
