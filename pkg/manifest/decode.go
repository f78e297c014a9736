package manifest

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// DecodeManifest decodes manifest.json strictly: see the package comment
// and docs/manifest.md for what is refused. Every error is a
// *DecodeError. The returned manifest's Source.Table is resolved
// (columns' T set), ready for pkg/format.
func DecodeManifest(data []byte) (*Manifest, error) {
	m := new(Manifest)
	if err := decode(docManifest, data, FormatManifest, manifestShape, m); err != nil {
		return nil, err
	}
	if err := checkManifest(m, true); err != nil {
		return nil, err
	}
	return m, nil
}

// DecodePlan decodes _state/plan.json as strictly as DecodeManifest.
func DecodePlan(data []byte) (*Plan, error) {
	p := new(Plan)
	if err := decode(docPlan, data, FormatPlan, planShape, p); err != nil {
		return nil, err
	}
	if err := checkPlan(p, true); err != nil {
		return nil, err
	}
	return p, nil
}

// DecodeCommit decodes a _state/commits/<unit>.json as strictly as
// DecodeManifest. It checks the commit on its own; Assemble checks it
// against the plan.
func DecodeCommit(data []byte) (*Commit, error) {
	cm := new(Commit)
	if err := decode(docCommit, data, FormatCommit, commitShape, cm); err != nil {
		return nil, err
	}
	if err := checkCommit(cm); err != nil {
		return nil, err
	}
	return cm, nil
}

// DecodeDumpMarker decodes <batch>/<table>/_state/dump.json.
func DecodeDumpMarker(data []byte) (*DumpMarker, error) {
	d := new(DumpMarker)
	if err := decode(docMarker, data, FormatDump, markerShape, d); err != nil {
		return nil, err
	}
	if err := checkMarker(d); err != nil {
		return nil, err
	}
	return d, nil
}

func decode(doc string, data []byte, format string, s *shape, v any) error {
	// A document of another version is reported as such, not by the
	// first field this version does not know.
	if f, ok := peekFormat(data); ok && f != format {
		return checker{doc: doc}.format(f, format)
	}
	if err := checkStrict(doc, data, s); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// checkStrict has seen every field; this is a belt to its braces.
		return &DecodeError{Doc: doc, Msg: err.Error()}
	}
	return nil
}

// Marshal checks m as DecodeManifest would and returns its canonical
// bytes: indented JSON with a trailing newline, fields in struct order,
// empty lists as [], times in UTC RFC 3339 with trailing zeros of the
// fraction trimmed. Equal manifests marshal to equal bytes, and
// DecodeManifest(Marshal(m)) equals m (nil and empty lists alike decode
// as empty). An invalid manifest is a *DecodeError: lading never writes a
// document it would refuse to read.
func (m *Manifest) Marshal() ([]byte, error) {
	if err := checkManifest(m, false); err != nil {
		return nil, err
	}
	return encode(docManifest, reflect.ValueOf(m).Elem(), manifestShape)
}

// Marshal checks p as DecodePlan would and returns its canonical bytes
// (see Manifest.Marshal).
func (p *Plan) Marshal() ([]byte, error) {
	if err := checkPlan(p, false); err != nil {
		return nil, err
	}
	return encode(docPlan, reflect.ValueOf(p).Elem(), planShape)
}

// Marshal checks c as DecodeCommit would and returns its canonical bytes
// (see Manifest.Marshal).
func (c *Commit) Marshal() ([]byte, error) {
	if err := checkCommit(c); err != nil {
		return nil, err
	}
	return encode(docCommit, reflect.ValueOf(c).Elem(), commitShape)
}

// Marshal checks d as DecodeDumpMarker would and returns its canonical
// bytes (see Manifest.Marshal).
func (d *DumpMarker) Marshal() ([]byte, error) {
	if err := checkMarker(d); err != nil {
		return nil, err
	}
	return encode(docMarker, reflect.ValueOf(d).Elem(), markerShape)
}
