// Package format is the dump's row format: CQL values <-> NDJSON, and the
// compressed parts that hold the lines.
//
// Rows travel as CQL native-protocol (v4/v5) serialized values. The exporter
// scans each column as raw bytes and an Encoder appends one JSON object per
// row to a reused buffer; a PartWriter streams the lines through the
// part's compressor (chosen by the file name: .ndjson.zst, .ndjson.gz,
// .ndjson) into an io.Writer. The loader reads them back with a PartReader
// and a Decoder, which rebuilds exactly the bytes Cassandra gave, ready to
// be bound again. The conversion works on the wire bytes directly, without
// the driver's Go types or reflection, so it is exact and fast.
//
// The JSON mapping of every CQL type is the contract of docs/format.md:
// numbers are written exactly (varint and decimal of any size, floats as
// the shortest text that parses back to the same bits), blobs as 0x hex,
// timestamps and dates in RFC 3339 / ISO 8601 (expanded years outside
// 0000-9999), durations as CQL writes them, maps with non-text keys as
// arrays of [key, value] pairs, and a null column as an absent key.
package format
