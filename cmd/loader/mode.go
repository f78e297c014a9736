package main

import (
	"github.com/spf13/pflag"

	"github.com/lading-dev/lading/internal/load"
)

// modeFlag is --mode: append (the default) or replace.
func modeFlag(f *pflag.FlagSet, o *load.Options) {
	f.StringVar(&o.Mode, "mode", load.ModeAppend, "append: load the dump's rows beside the table's (a row of the same key is overwritten); replace: load the dump into a fresh table, then swap it in for the table (ALTER TABLE … SWAP WITH) so readers never see a half-loaded table, and drop the old rows (Snowflake only; other targets refuse it)")
}
