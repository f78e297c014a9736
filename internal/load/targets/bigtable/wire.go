package bigtable

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"

	"cloud.google.com/go/bigtable/apiv2/bigtablepb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Writes do not go through the client library's Mutation objects. A
// MutateRows request of 4 MB holds some 20,000 cells; building a proto
// object for each (three allocations a cell), then sizing and
// marshalling them, was about half of the loader's CPU, and on a machine
// shared with the server every microsecond of it is taken from the
// server. Instead each dump row is encoded once, straight into the wire
// bytes of its MutateRowsRequest.Entry (the value bytes copied once, no
// object per cell), and a request is those entries concatenated behind
// the table's name. The bytes are exactly what proto.Marshal makes of
// the same messages (wire_test.go proves it), and the RPC is the same
// generated method the client library calls, with the same routing
// headers, over the same connection settings.

// Field numbers of google.bigtable.v2 messages (bigtable.proto, data.proto).
const (
	fieldRequestTable      = 1 // MutateRowsRequest.table_name
	fieldRequestEntries    = 2 // MutateRowsRequest.entries
	fieldRequestAppProfile = 3 // MutateRowsRequest.app_profile_id
	fieldEntryKey          = 1 // Entry.row_key
	fieldEntryMutations    = 2 // Entry.mutations
	fieldMutationSetCell   = 1 // Mutation.set_cell
	fieldSetCellFamily     = 1 // SetCell.family_name
	fieldSetCellQualifier  = 2 // SetCell.column_qualifier
	fieldSetCellTimestamp  = 3 // SetCell.timestamp_micros
	fieldSetCellValue      = 4 // SetCell.value
)

// mutateRowsMethod is the full name of the MutateRows RPC.
const mutateRowsMethod = "/google.bigtable.v2.Bigtable/MutateRows"

// Header names the client library sends with every data request: the
// first routes it to the table's backend, the second names the resource.
const (
	requestParamsHeader  = "x-goog-request-params"
	resourcePrefixHeader = "google-cloud-resource-prefix"
)

// wireCell is one SetCell mutation to encode.
type wireCell struct {
	qualifier string
	ts        int64
	value     []byte
}

// setCellSize returns the encoded size of a SetCell message. Fields with
// proto3's default value (empty qualifier or value, timestamp 0) are left
// out, as proto.Marshal leaves them out.
func setCellSize(family string, c *wireCell) int {
	n := protowire.SizeTag(fieldSetCellFamily) + protowire.SizeBytes(len(family))
	if c.qualifier != "" {
		n += protowire.SizeTag(fieldSetCellQualifier) + protowire.SizeBytes(len(c.qualifier))
	}
	if c.ts != 0 {
		n += protowire.SizeTag(fieldSetCellTimestamp) + protowire.SizeVarint(uint64(c.ts))
	}
	if len(c.value) > 0 {
		n += protowire.SizeTag(fieldSetCellValue) + protowire.SizeBytes(len(c.value))
	}
	return n
}

// mutationSize returns the encoded size of a Mutation holding a SetCell
// of size sc.
func mutationSize(sc int) int {
	return protowire.SizeTag(fieldMutationSetCell) + protowire.SizeBytes(sc)
}

// encodeEntry returns the wire bytes of a MutateRowsRequest.Entry: the
// row key and one SetCell mutation a cell, in one allocation of exactly
// the needed size.
func encodeEntry(key []byte, family string, cells []wireCell) []byte {
	size := protowire.SizeTag(fieldEntryKey) + protowire.SizeBytes(len(key))
	for i := range cells {
		size += protowire.SizeTag(fieldEntryMutations) + protowire.SizeBytes(mutationSize(setCellSize(family, &cells[i])))
	}
	b := make([]byte, 0, size)
	b = protowire.AppendTag(b, fieldEntryKey, protowire.BytesType)
	b = protowire.AppendBytes(b, key)
	for i := range cells {
		c := &cells[i]
		sc := setCellSize(family, c)
		b = protowire.AppendTag(b, fieldEntryMutations, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(mutationSize(sc)))
		b = protowire.AppendTag(b, fieldMutationSetCell, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(sc))
		b = protowire.AppendTag(b, fieldSetCellFamily, protowire.BytesType)
		b = protowire.AppendString(b, family)
		if c.qualifier != "" {
			b = protowire.AppendTag(b, fieldSetCellQualifier, protowire.BytesType)
			b = protowire.AppendString(b, c.qualifier)
		}
		if c.ts != 0 {
			b = protowire.AppendTag(b, fieldSetCellTimestamp, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(c.ts))
		}
		if len(c.value) > 0 {
			b = protowire.AppendTag(b, fieldSetCellValue, protowire.BytesType)
			b = protowire.AppendBytes(b, c.value)
		}
	}
	return b
}

// encodeRequest returns the wire bytes of a MutateRowsRequest of the
// given encoded entries.
func encodeRequest(table, appProfile string, entries []*entry) []byte {
	size := protowire.SizeTag(fieldRequestTable) + protowire.SizeBytes(len(table))
	if appProfile != "" {
		size += protowire.SizeTag(fieldRequestAppProfile) + protowire.SizeBytes(len(appProfile))
	}
	for _, e := range entries {
		size += protowire.SizeTag(fieldRequestEntries) + protowire.SizeBytes(len(e.wire))
	}
	b := make([]byte, 0, size)
	b = protowire.AppendTag(b, fieldRequestTable, protowire.BytesType)
	b = protowire.AppendString(b, table)
	for _, e := range entries {
		b = protowire.AppendTag(b, fieldRequestEntries, protowire.BytesType)
		b = protowire.AppendBytes(b, e.wire)
	}
	if appProfile != "" {
		b = protowire.AppendTag(b, fieldRequestAppProfile, protowire.BytesType)
		b = protowire.AppendString(b, appProfile)
	}
	return b
}

// encodedRequest is a request already in wire bytes.
type encodedRequest []byte

// wireCodec sends encodedRequest as it is and decodes responses as
// protobuf messages. Its name is "proto", so the request's content type
// is the one every gRPC server of Bigtable expects.
type wireCodec struct{}

func (wireCodec) Marshal(v any) (mem.BufferSlice, error) {
	switch m := v.(type) {
	case encodedRequest:
		return mem.BufferSlice{mem.SliceBuffer(m)}, nil
	case proto.Message:
		b, err := proto.Marshal(m)
		return mem.BufferSlice{mem.SliceBuffer(b)}, err
	}
	return nil, fmt.Errorf("bigtable wire codec: cannot marshal %T", v)
}

func (wireCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("bigtable wire codec: cannot unmarshal into %T", v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	return proto.Unmarshal(buf.ReadOnlyData(), m)
}

func (wireCodec) Name() string { return "proto" }

var _ encoding.CodecV2 = wireCodec{}

// mutateRowsDesc describes MutateRows: one request, a stream of responses.
var mutateRowsDesc = grpc.StreamDesc{StreamName: "MutateRows", ServerStreams: true}

// writer sends MutateRows requests for one table.
type writer struct {
	conn       grpc.ClientConnInterface
	table      string // the table's full resource name
	appProfile string
	md         metadata.MD
}

func newWriter(conn grpc.ClientConnInterface, project, instance, table, appProfile string) *writer {
	full := fmt.Sprintf("projects/%s/instances/%s/tables/%s", project, instance, table)
	params := "table_name=" + url.QueryEscape(full)
	if appProfile != "" {
		params += "&app_profile_id=" + url.QueryEscape(appProfile)
	}
	return &writer{conn: conn, table: full, appProfile: appProfile,
		md: metadata.Pairs(resourcePrefixHeader, full, requestParamsHeader, params)}
}

// mutateRows sends the entries in one request and returns the status of
// each (nil when it was applied), or the error of the whole call.
func (w *writer) mutateRows(ctx context.Context, entries []*entry) ([]error, error) {
	ctx = metadata.NewOutgoingContext(ctx, w.md)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := w.conn.NewStream(ctx, &mutateRowsDesc, mutateRowsMethod, grpc.ForceCodecV2(wireCodec{}))
	if err != nil {
		return nil, err
	}
	if err := stream.SendMsg(encodedRequest(encodeRequest(w.table, w.appProfile, entries))); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	errs := make([]error, len(entries))
	seen := make([]bool, len(entries))
	for {
		var resp bigtablepb.MutateRowsResponse
		err := stream.RecvMsg(&resp)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		for _, e := range resp.Entries {
			i := int(e.Index)
			if i < 0 || i >= len(entries) {
				return nil, fmt.Errorf("MutateRows answered for entry %d of %d", i, len(entries))
			}
			seen[i] = true
			if st := e.GetStatus(); st != nil && st.Code != 0 {
				errs[i] = status.ErrorProto(st)
			}
		}
	}
	for i, ok := range seen {
		if !ok {
			// The server ended the stream without a word on this entry:
			// it may not have been applied; it is resent.
			errs[i] = status.Error(codes.Internal, "MutateRows ended without this entry's status")
		}
	}
	return errs, nil
}
