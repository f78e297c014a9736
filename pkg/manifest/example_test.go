package manifest_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/lading-dev/lading/pkg/manifest"
)

func ExampleDecodeManifest() {
	data, err := os.ReadFile("testdata/manifest.golden.json")
	if err != nil {
		panic(err)
	}
	m, err := manifest.DecodeManifest(data)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Table, m.Totals.Files, "files,", m.Totals.Rows, "rows")

	// A hostile manifest is refused, naming the field.
	bad := strings.Replace(string(data), `"name": "part-0000000000000000-3f9a0c12-000000.ndjson.zst"`, `"name": "../x"`, 1)
	_, err = manifest.DecodeManifest([]byte(bad))
	fmt.Println(err, manifest.IsDecodeError(err))
	// Output:
	// shop.orders 3 files, 914851 rows
	// manifest: files[0].name: escapes the dump prefix: "../x" true
}

func ExamplePartName() {
	unit, _ := manifest.UnitID("-3074457345618258603", manifest.Murmur3Partitioner)
	name := manifest.PartName(unit, "b71e44d0", 0, manifest.ExtZstd)
	fmt.Println(name)
	fmt.Println(manifest.CommitName(unit))
	// Output:
	// part-5555555555555555-b71e44d0-000000.ndjson.zst
	// _state/commits/5555555555555555.json
}
