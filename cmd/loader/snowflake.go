package main

import (
	"github.com/spf13/pflag"

	"github.com/lading-dev/lading/internal/load"
	_ "github.com/lading-dev/lading/internal/load/targets/snowflake" // snowflake://
)

// snowflakeFlags are the flags of the Snowflake target: how COPY INTO
// reaches the parts.
func snowflakeFlags(f *pflag.FlagSet, o *load.Options) {
	f.StringVar(&o.Stage, "stage", "", "Snowflake: COPY the parts from this existing external stage `NAME`, whose URL is the dump store's root (--from); default: PUT the proven parts to a temporary internal stage")
	f.IntVar(&o.CopyParts, "copy-parts", 0, "Snowflake: most parts one COPY INTO loads, 1 to 1000 (default 1000, Snowflake's FILES limit); fewer commit progress more often")
	f.StringVar(&o.StorageIntegration, "storage-integration", "", "Snowflake: create an external stage over the dump store's root (s3:// or gs://) with this storage integration `NAME`, and COPY the parts from it")
}
