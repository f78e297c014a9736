package main

import (
	"github.com/spf13/pflag"

	"github.com/lading-dev/lading/internal/export"
)

// addExportFlags adds the flags of converting a native export
// (--from-export) instead of scanning the table.
func addExportFlags(f *pflag.FlagSet, cfg *export.Config) {
	f.StringVar(&cfg.FromExport, "from-export", "", "convert a DynamoDB \"Export to S3\" instead of scanning: the export's directory `URL` (s3://bucket/[prefix/]AWSDynamoDB/EXPORT_ID/); full DYNAMODB_JSON exports only, every data file's MD5 and item count verified; the key schema from --source dynamodb://… (DescribeTable) or --hash-key/--range-key")
	f.StringVar(&cfg.HashKey, "hash-key", "", "with --from-export and no --source: the table's partition key as `NAME:TYPE` (TYPE S, N or B), e.g. pk:S")
	f.StringVar(&cfg.RangeKey, "range-key", "", "with --from-export and no --source: the table's sort key as `NAME:TYPE`, if it has one")
}
