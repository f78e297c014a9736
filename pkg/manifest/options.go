package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// OptionsConflict lists the options on which a and b differ, in field
// order, each as `name: <a's value> vs <b's value>` with the option's
// JSON name and values as JSON, e.g. `compression: "zstd" vs "gzip"`. The
// exporter refuses a re-run whose options contradict the plan's, naming
// each one. A nil and an empty column list are the same list.
func OptionsConflict(a, b Options) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for _, f := range optionsShape.fields {
		ea, eb := optionJSON(va.Field(f.index)), optionJSON(vb.Field(f.index))
		if ea != eb {
			out = append(out, f.name+": "+ea+" vs "+eb)
		}
	}
	return out
}

// optionJSON renders one option's value on one line.
func optionJSON(v reflect.Value) string {
	if v.Kind() == reflect.Slice && v.Len() == 0 {
		return "[]"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v.Interface()); err != nil {
		return fmt.Sprintf("%v", v.Interface())
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
