package manifest

import (
	"reflect"
	"time"
)

// FormatDeleted is the version of the deleted-dump note.
const FormatDeleted = "lading/deleted/v1"

// DeletedName sits at <batch>/<table>/_state/deleted.json, beside the
// dump marker.
const DeletedName = "_state/deleted.json"

const docDeleted = "deleted-dump note"

var deletedShape = shapeOf(reflect.TypeFor[DeletedDump]())

// DeletedDump is <batch>/<table>/_state/deleted.json: the shipper's note,
// written before it deletes a source dump that it copied elsewhere
// (--delete-source), that the batch's dump of the table is gone from
// this store. The dump marker stays, so the batch still names its one
// dump; the note tells the exporter that a new export of the table in
// this batch would be a second, different dump under the first one's
// path, which the exporter refuses.
type DeletedDump struct {
	Format    string `json:"format"`
	Batch     string `json:"batch"`
	Table     string `json:"table"`
	Timestamp string `json:"timestamp"`
	// ManifestSHA256 is the SHA-256 of the deleted dump's manifest.json.
	ManifestSHA256 string `json:"manifest_sha256"`
	// ShippedTo is the URL, without credentials, of the copy.
	ShippedTo string    `json:"shipped_to"`
	Deleted   time.Time `json:"deleted"`
}

// DeletedKey returns the key, below the root, of the note saying that
// the batch's dump of a table was deleted: "<batch>/<table>/_state/deleted.json".
func DeletedKey(batch, table string) string {
	return batch + "/" + table + "/" + DeletedName
}

// DecodeDeletedDump decodes <batch>/<table>/_state/deleted.json.
func DecodeDeletedDump(data []byte) (*DeletedDump, error) {
	d := new(DeletedDump)
	if err := decode(docDeleted, data, FormatDeleted, deletedShape, d); err != nil {
		return nil, err
	}
	if err := checkDeleted(d); err != nil {
		return nil, err
	}
	return d, nil
}

// Marshal checks d as DecodeDeletedDump would and returns its canonical
// bytes (see Manifest.Marshal).
func (d *DeletedDump) Marshal() ([]byte, error) {
	if err := checkDeleted(d); err != nil {
		return nil, err
	}
	return encode(docDeleted, reflect.ValueOf(d).Elem(), deletedShape)
}

func checkDeleted(d *DeletedDump) error {
	c := checker{doc: docDeleted}
	if err := c.format(d.Format, FormatDeleted); err != nil {
		return err
	}
	if err := c.dumpID(d.Batch, d.Table, d.Timestamp); err != nil {
		return err
	}
	if err := c.hex("manifest_sha256", d.ManifestSHA256, sha256Pattern, 64); err != nil {
		return err
	}
	if d.ShippedTo == "" {
		return c.errf("shipped_to", "empty")
	}
	return c.time("deleted", d.Deleted)
}
