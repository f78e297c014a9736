package main

import (
	"github.com/spf13/pflag"

	"github.com/lading-dev/lading/internal/load"
)

// spannerFlags are the flags of the Spanner target's type mapping.
func spannerFlags(f *pflag.FlagSet, o *load.Options) {
	f.BoolVar(&o.NumericAsString, "numeric-as-string", false, "Spanner: create decimal and varint columns (and arrays of them) as STRING(MAX) holding each value's exact text, instead of NUMERIC, which holds 29 digits before the point and 9 after and refuses other values into the reject file; an existing table's own choice is kept; other targets ignore it")
}
