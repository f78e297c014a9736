package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/pkg/objstore"
)

// Ledger documents' format versions.
const (
	FormatLoaded  = "lading/load/v1"
	FormatStarted = "lading/load-started/v1"
	FormatPart    = "lading/load-part/v1"
)

// LedgerDir is where ledgers live below a store root (or below --state
// without the leading "_state/").
const LedgerDir = "_state/loads/"

// TargetID turns a target identity into the ledger's directory name: one
// path level of [A-Za-z0-9._-], readable, and unique (a short hash of the
// identity is appended whenever a character had to be replaced).
func TargetID(id Identity) string {
	raw := id.Kind + "." + id.Cluster + "." + id.Namespace + "." + id.Table
	clean, changed := sanitize(raw)
	if changed || len(clean) > 160 {
		sum := sha256.Sum256([]byte(raw))
		if len(clean) > 160 {
			clean = clean[:160]
		}
		clean += "-" + hex.EncodeToString(sum[:4])
	}
	return clean
}

// sanitize keeps [A-Za-z0-9._-] and replaces anything else with '_'.
func sanitize(s string) (string, bool) {
	var b strings.Builder
	changed := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		changed = true
	}
	out := b.String()
	if out == "" || strings.Trim(out, ".") == "" {
		return "_", true
	}
	return out, changed
}

// Ledger records what was loaded into one target table. Layout, below
// <root>/_state/loads/<target-id>/ (or <state>/loads/<target-id>/):
//
//	<incarnation>/loaded/<timestamp>.<batch>.<table>.json   the dump is loaded (counts, verification);
//	                                                        <timestamp>.<hash>.json past 255 bytes (LoadedName)
//	<incarnation>/dumps/<batch>/<table>/<timestamp>/
//	    started.json              the dump's first load attempt (table empty then?)
//	    started/<part>            an attempt at the part began (rows may be in the table)
//	    parts/<part>.json         the part is loaded (created once, conditionally)
//	    rejects/<part>.ndjson     rows the target refused, with its error
//	    verify.json               the last verification's result
//
// Every record names exactly what it commits, and each is created with a
// conditional create where a second writer must not replace it.
type Ledger struct {
	b      *objstore.Bucket
	prefix string // ends in "/"
	id     Identity
}

// NewLedger returns the ledger of target table id in bucket b below
// base (e.g. "_state/loads/"; "" for the bucket's root).
func NewLedger(b *objstore.Bucket, base string, id Identity) *Ledger {
	p := base
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return &Ledger{b: b, prefix: p + TargetID(id) + "/", id: id}
}

// Location names the ledger for messages.
func (l *Ledger) Location() string {
	return l.b.Location().Join(l.prefix).String()
}

// Incarnation is one incarnation of the target table within a ledger.
type Incarnation struct {
	l      *Ledger
	id     string
	prefix string
}

// Incarnation returns the ledger of one incarnation of the table.
func (l *Ledger) Incarnation(inc string) *Incarnation {
	seg, _ := sanitize(inc)
	return &Incarnation{l: l, id: inc, prefix: l.prefix + seg + "/"}
}

// ID is the incarnation as the target named it.
func (in *Incarnation) ID() string { return in.id }

// LoadedName is the key below "loaded/" of a dump's loaded record: the
// timestamp first, so listings come in load order. A name that would pass
// maxRecordName (a long batch or table name: a DynamoDB table's may have
// 246 characters) keeps its timestamp and puts a hash of the batch and
// table in their place, since a file:// ledger's file names stop there;
// the record itself names them.
func LoadedName(d discover.Dump) string {
	n := plainLoadedName(d)
	if len(n) <= maxRecordName {
		return n
	}
	sum := sha256.Sum256([]byte(d.Batch + "/" + d.Table))
	return d.Timestamp + "." + hex.EncodeToString(sum[:16]) + ".json"
}

// plainLoadedName is <timestamp>.<batch>.<table>.json, whatever its
// length: the name of every loaded record before hashed names.
func plainLoadedName(d discover.Dump) string {
	return d.Timestamp + "." + d.Batch + "." + d.Table + ".json"
}

// maxRecordName is the longest name of a record below loaded/: what file
// systems allow a file name. A variable for the tests.
var maxRecordName = 255

// Counts sum up what a load did.
type Counts struct {
	Files        int64 `json:"files"`
	Rows         int64 `json:"rows"`
	RowsWritten  int64 `json:"rows_written"`
	RowsExpired  int64 `json:"rows_expired"`
	Rejects      int64 `json:"rejects"`
	Mutations    int64 `json:"mutations"`
	StoredBytes  int64 `json:"stored_bytes"`
	PartsSkipped int64 `json:"parts_skipped"`
	// ExpiringRows will expire in the target by their TTLs, between
	// ExpiryMin and ExpiryMax (Unix seconds).
	ExpiringRows int64 `json:"expiring_rows,omitempty"`
	ExpiryMin    int64 `json:"expiry_min,omitempty"`
	ExpiryMax    int64 `json:"expiry_max,omitempty"`
}

// addExpiry merges another range of expiring rows.
func (c *Counts) addExpiry(n, lo, hi int64) {
	if n == 0 {
		return
	}
	if c.ExpiringRows == 0 || lo < c.ExpiryMin {
		c.ExpiryMin = lo
	}
	if hi > c.ExpiryMax {
		c.ExpiryMax = hi
	}
	c.ExpiringRows += n
}

// VerifyResult is the outcome of verification.
type VerifyResult struct {
	// Mode is "none", "count" or "full".
	Mode string `json:"mode"`
	// Result is "passed", "failed" or "skipped".
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"`
	// Expected and Found are row counts (count) or rows checked and rows
	// that differ (full).
	Expected   int64     `json:"expected"`
	Found      int64     `json:"found"`
	Mismatches int64     `json:"mismatches"`
	At         time.Time `json:"at"`
}

// LoadedRecord is <incarnation>/loaded/<...>.json.
type LoadedRecord struct {
	Format      string       `json:"format"`
	Batch       string       `json:"batch"`
	Table       string       `json:"table"`
	Timestamp   string       `json:"timestamp"`
	Target      string       `json:"target"`
	TargetID    string       `json:"target_id"`
	Incarnation string       `json:"incarnation"`
	Tool        string       `json:"tool"`
	Started     time.Time    `json:"started"`
	Finished    time.Time    `json:"finished"`
	Forced      bool         `json:"forced"`
	Counts      Counts       `json:"counts"`
	Verify      VerifyResult `json:"verify"`
}

// StartedRecord is a dump's started.json.
type StartedRecord struct {
	Format      string    `json:"format"`
	Dump        string    `json:"dump"`
	Target      string    `json:"target"`
	Incarnation string    `json:"incarnation"`
	Started     time.Time `json:"started"`
	// EmptyBefore: the table held no row when the first attempt began.
	EmptyBefore bool `json:"empty_before"`
	// AllOrNothing: a counter table load (restarted from empty if it did
	// not finish).
	AllOrNothing bool   `json:"all_or_nothing"`
	Tool         string `json:"tool"`
}

// PartRecord is parts/<part>.json.
type PartRecord struct {
	Format      string `json:"format"`
	Part        string `json:"part"`
	CRC32C      string `json:"crc32c"`
	Rows        int64  `json:"rows"`
	RowsWritten int64  `json:"rows_written"`
	RowsExpired int64  `json:"rows_expired"`
	Rejects     int64  `json:"rejects"`
	Mutations   int64  `json:"mutations"`
	// ExpiringRows will expire by their TTLs, between ExpiryMin and
	// ExpiryMax (Unix seconds).
	ExpiringRows int64     `json:"expiring_rows,omitempty"`
	ExpiryMin    int64     `json:"expiry_min,omitempty"`
	ExpiryMax    int64     `json:"expiry_max,omitempty"`
	Loaded       time.Time `json:"loaded"`
}

// DumpLedger is the ledger of one dump in one incarnation.
type DumpLedger struct {
	in     *Incarnation
	dump   discover.Dump
	prefix string
}

// Dump returns the ledger of dump d.
func (in *Incarnation) Dump(d discover.Dump) *DumpLedger {
	return &DumpLedger{in: in, dump: d, prefix: in.prefix + "dumps/" + d.Prefix + "/"}
}

// Loaded returns the dump's loaded record, or nil when it is not loaded.
func (in *Incarnation) Loaded(ctx context.Context, d discover.Dump) (*LoadedRecord, error) {
	rec, err := in.LoadedNamed(ctx, LoadedName(d))
	if rec != nil || err != nil {
		return rec, err
	}
	// Loaders before the hashed names wrote the long name, which S3
	// and GCS keys hold.
	if long := plainLoadedName(d); long != LoadedName(d) {
		return in.LoadedNamed(ctx, long)
	}
	return nil, nil
}

// LoadedNamed returns the loaded record of that name (one LoadedDumps
// lists), or nil when there is none.
func (in *Incarnation) LoadedNamed(ctx context.Context, name string) (*LoadedRecord, error) {
	var rec LoadedRecord
	ok, err := in.l.readJSON(ctx, in.prefix+"loaded/"+name, &rec)
	if err != nil || !ok {
		return nil, err
	}
	return &rec, nil
}

// LoadedDumps lists the loaded records' names in load-order (timestamp
// first): the newest is last.
func (in *Incarnation) LoadedDumps(ctx context.Context) ([]string, error) {
	objs, _, err := in.l.b.ListAll(ctx, in.prefix+"loaded/", "/")
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", in.l.Location(), err)
	}
	names := make([]string, 0, len(objs))
	for _, o := range objs {
		names = append(names, strings.TrimPrefix(o.Key, in.prefix+"loaded/"))
	}
	sort.Strings(names)
	return names, nil
}

// NewestLoaded returns the timestamp and name of the newest dump loaded
// into this incarnation ("" when none).
func (in *Incarnation) NewestLoaded(ctx context.Context) (timestamp, name string, err error) {
	names, err := in.LoadedDumps(ctx)
	if err != nil || len(names) == 0 {
		return "", "", err
	}
	n := names[len(names)-1]
	ts, _, _ := strings.Cut(n, ".")
	return ts, strings.TrimSuffix(n, ".json"), nil
}

// MarkLoaded records the dump as loaded. A forced reload replaces an
// earlier record; otherwise an existing record is kept (another loader
// finished the same dump) and nil returned.
func (dl *DumpLedger) MarkLoaded(ctx context.Context, rec *LoadedRecord, replace bool) error {
	rec.Format = FormatLoaded
	key := dl.in.prefix + "loaded/" + LoadedName(dl.dump)
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if replace {
		_, err = dl.in.l.b.WriteAll(ctx, key, append(data, '\n'), &objstore.WriterOptions{ContentType: "application/json"})
	} else {
		err = dl.in.l.b.CreateIfAbsent(ctx, key, append(data, '\n'))
		if errors.Is(err, objstore.ErrExists) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("ledger: record %s loaded: %w", dl.dump, err)
	}
	return nil
}

// Started returns the dump's started record, creating it from rec when
// this is the first attempt. The record that is stored wins.
func (dl *DumpLedger) Started(ctx context.Context, rec *StartedRecord) (*StartedRecord, bool, error) {
	key := dl.prefix + "started.json"
	var have StartedRecord
	ok, err := dl.in.l.readJSON(ctx, key, &have)
	if err != nil {
		return nil, false, err
	}
	if ok {
		return &have, false, nil
	}
	rec.Format = FormatStarted
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, false, err
	}
	err = dl.in.l.b.CreateIfAbsent(ctx, key, append(data, '\n'))
	if errors.Is(err, objstore.ErrExists) {
		ok, err = dl.in.l.readJSON(ctx, key, &have)
		if err == nil && !ok {
			err = fmt.Errorf("ledger: %s vanished", key)
		}
		if err != nil {
			return nil, false, err
		}
		return &have, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("ledger: start %s: %w", dl.dump, err)
	}
	return rec, true, nil
}

// PeekStarted returns the dump's started record, or nil.
func (dl *DumpLedger) PeekStarted(ctx context.Context) (*StartedRecord, error) {
	var have StartedRecord
	ok, err := dl.in.l.readJSON(ctx, dl.prefix+"started.json", &have)
	if err != nil || !ok {
		return nil, err
	}
	return &have, nil
}

// RestartAllOrNothing forgets an unfinished all-or-nothing attempt: its
// started record and part markers go, so the next attempt starts anew.
func (dl *DumpLedger) RestartAllOrNothing(ctx context.Context) error {
	objs, _, err := dl.in.l.b.ListAll(ctx, dl.prefix, "")
	if err != nil {
		return fmt.Errorf("ledger: %w", err)
	}
	for _, o := range objs {
		if err := dl.in.l.b.Delete(ctx, o.Key); err != nil && !errors.Is(err, objstore.ErrNotFound) {
			return fmt.Errorf("ledger: restart %s: %w", dl.dump, err)
		}
	}
	return nil
}

// Progress lists which parts are loaded and which were begun.
func (dl *DumpLedger) Progress(ctx context.Context) (loaded map[string]bool, begun map[string]bool, err error) {
	loaded, begun = map[string]bool{}, map[string]bool{}
	objs, _, err := dl.in.l.b.ListAll(ctx, dl.prefix+"parts/", "/")
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: %w", err)
	}
	for _, o := range objs {
		name := strings.TrimSuffix(strings.TrimPrefix(o.Key, dl.prefix+"parts/"), ".json")
		loaded[name] = true
	}
	objs, _, err = dl.in.l.b.ListAll(ctx, dl.prefix+"started/", "/")
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: %w", err)
	}
	for _, o := range objs {
		begun[strings.TrimPrefix(o.Key, dl.prefix+"started/")] = true
	}
	return loaded, begun, nil
}

// BeginPart marks that rows of part may reach the table from now on.
// existed reports that the mark was there already: an earlier run or
// another loader began the part, and its writes may still be landing.
func (dl *DumpLedger) BeginPart(ctx context.Context, part string) (existed bool, err error) {
	err = dl.in.l.b.CreateIfAbsent(ctx, dl.prefix+"started/"+part, []byte(time.Now().UTC().Format(time.RFC3339Nano)+"\n"))
	if errors.Is(err, objstore.ErrExists) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("ledger: begin part %s: %w", part, err)
	}
	return false, nil
}

// PartLoaded records part as loaded (once: an existing record is kept).
func (dl *DumpLedger) PartLoaded(ctx context.Context, rec *PartRecord) error {
	rec.Format = FormatPart
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	err = dl.in.l.b.CreateIfAbsent(ctx, dl.prefix+"parts/"+rec.Part+".json", append(data, '\n'))
	if err != nil && !errors.Is(err, objstore.ErrExists) {
		return fmt.Errorf("ledger: record part %s: %w", rec.Part, err)
	}
	return nil
}

// PartRecords reads every part record (for the dump's totals).
func (dl *DumpLedger) PartRecords(ctx context.Context) ([]PartRecord, error) {
	objs, _, err := dl.in.l.b.ListAll(ctx, dl.prefix+"parts/", "/")
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	out := make([]PartRecord, 0, len(objs))
	for _, o := range objs {
		var r PartRecord
		ok, err := dl.in.l.readJSON(ctx, o.Key, &r)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// RejectsKey is the key of a part's reject file.
func (dl *DumpLedger) RejectsKey(part string) string {
	return dl.prefix + "rejects/" + part + ".ndjson"
}

// WriteRejects stores a part's rejected rows (replacing an earlier
// attempt's: a replay rejects the same rows).
func (dl *DumpLedger) WriteRejects(ctx context.Context, part string, data []byte) error {
	_, err := dl.in.l.b.WriteAll(ctx, dl.RejectsKey(part), data, nil)
	if err != nil {
		return fmt.Errorf("ledger: rejects of %s: %w", part, err)
	}
	return nil
}

// DeleteRejects removes a part's reject file, if any: an earlier
// attempt's file must not outlive a clean load, or verification would
// skip its lines.
func (dl *DumpLedger) DeleteRejects(ctx context.Context, part string) error {
	err := dl.in.l.b.Delete(ctx, dl.RejectsKey(part))
	if err != nil && !errors.Is(err, objstore.ErrNotFound) {
		return fmt.Errorf("ledger: rejects of %s: %w", part, err)
	}
	return nil
}

// RejectsLocation names a part's reject file for messages.
func (dl *DumpLedger) RejectsLocation(part string) string {
	return dl.in.l.b.Location().Join(dl.RejectsKey(part)).String()
}

// WriteVerify stores the last verification's result and mismatches.
func (dl *DumpLedger) WriteVerify(ctx context.Context, res VerifyResult, mismatches []Mismatch) error {
	doc := struct {
		VerifyResult
		Mismatches []Mismatch `json:"mismatch_list"`
	}{res, mismatches}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	if _, err := dl.in.l.b.WriteAll(ctx, dl.prefix+"verify.json", append(data, '\n'), nil); err != nil {
		return fmt.Errorf("ledger: verification of %s: %w", dl.dump, err)
	}
	return nil
}

// VerifyLocation names the verification record for messages.
func (dl *DumpLedger) VerifyLocation() string {
	return dl.in.l.b.Location().Join(dl.prefix + "verify.json").String()
}

// readJSON reads key into v; ok is false when key does not exist.
func (l *Ledger) readJSON(ctx context.Context, key string, v any) (bool, error) {
	data, err := l.b.ReadAll(ctx, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ledger: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("ledger: %s: %w", path.Join(l.b.Location().String(), key), err)
	}
	return true, nil
}
