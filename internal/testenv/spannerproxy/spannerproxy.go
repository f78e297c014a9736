// Package spannerproxy is a gRPC proxy on loopback for integration tests,
// in front of spannertest (scripts/spannerd): a real gRPC server that
// forwards every call, and says no the way Cloud Spanner does where
// spannertest does not.
//
//   - A commit over MaxMutations mutations (Spanner's count: one per
//     column an insert or update writes, one per index entry, one per
//     deleted key) or over MaxBytes is refused with Spanner's own
//     INVALID_ARGUMENT error, unapplied.
//   - With SetAbortRate(r), a fraction r of commits, spread evenly, is
//     answered ABORTED, unapplied; with SetUnavailableEvery(n), every
//     n-th commit UNAVAILABLE, unapplied.
//   - JSON, NUMERIC and FLOAT32 columns, which spannertest cannot hold
//     (it parses FLOAT32 not at all and inserts no JSON or NUMERIC
//     value), are created behind it as STRING(MAX), STRING(MAX) and
//     FLOAT64, and GetDatabaseDdl answers with the statement the client
//     sent. Mutations pass through unchanged: a JSON or NUMERIC value is
//     a string on the wire and a FLOAT32 a number, so spannertest stores
//     exactly the bytes real Spanner would receive, and reads return them
//     with STRING (or FLOAT64) type codes. spannertest lists no index in
//     GetDatabaseDdl: the proxy adds the CREATE INDEX statements it
//     passed on.
//   - spannertest takes a float only as a JSON number, where Spanner's
//     protocol sends NaN and the infinities as the strings "NaN",
//     "Infinity" and "-Infinity": the proxy turns those strings into
//     numbers in the FLOAT columns of commits (reads return numbers,
//     which the client decodes alike).
package spannerproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	dbpb "cloud.google.com/go/spanner/admin/database/apiv1/databasepb"
	sppb "cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// Spanner's commit limits.
const (
	DefaultMaxMutations = 80_000
	DefaultMaxBytes     = 100_000_000
)

// Proxy is a running proxy.
type Proxy struct {
	// Addr is host:port to put in SPANNER_EMULATOR_HOST.
	Addr string

	// MaxMutations and MaxBytes bound a commit.
	MaxMutations int
	MaxBytes     int

	abortPermille    atomic.Int64
	unavailableEvery atomic.Int64
	lostEvery        atomic.Int64
	applied          atomic.Int64 // commits applied, for lostEvery
	checked          atomic.Int64 // commits that passed the abort check, for unavailableEvery
	offered          atomic.Int64 // commits that reached the abort check

	// Commits counts commits forwarded; Aborted, Unavailable and
	// Refused those answered ABORTED, UNAVAILABLE and refused as too
	// large; MaxSeen the most mutations one forwarded commit held.
	Commits, Aborted, Unavailable, Refused, MaxSeen atomic.Int64
	// LostAnswers counts commits applied and answered UNAVAILABLE.
	LostAnswers atomic.Int64
	// BatchWrites counts BatchWrite calls (batchwrite.go), Groups the
	// mutation groups they held.
	BatchWrites, Groups atomic.Int64
	// NoBatchWrite answers BatchWrite UNIMPLEMENTED, as a server without
	// it does. spannertest itself must never receive the call: it panics
	// on every method it lacks, and the panic ends the server process.
	NoBatchWrite atomic.Bool

	mu       sync.Mutex
	original map[string]string          // CREATE TABLE as sent, by lower-case table, when rewritten
	floats   map[string]map[string]bool // FLOAT columns by lower-case table and column
	indexes  map[string]index           // by lower-case index name

	conn *grpc.ClientConn
	srv  *grpc.Server
	logf func(string, ...any)
}

// SetAbortRate answers a fraction r (0 to 1) of commits ABORTED, spread
// evenly rather than drawn at random (at 0.2, every fifth): a test that
// asks for aborts always meets them, and a commit sent again after an
// abort is not aborted again while r is at most a half.
func (p *Proxy) SetAbortRate(r float64) { p.abortPermille.Store(int64(r * 1000)) }

// SetLostAnswerEvery applies every n-th commit and then answers it
// UNAVAILABLE (0: none): a commit whose answer was lost on the way back.
func (p *Proxy) SetLostAnswerEvery(n int) { p.lostEvery.Store(int64(n)) }

// SetUnavailableEvery answers every n-th commit UNAVAILABLE (0: none),
// as Spanner does when a server is briefly unreachable; every n-th, not
// a random fraction, so that a test always meets some.
func (p *Proxy) SetUnavailableEvery(n int) { p.unavailableEvery.Store(int64(n)) }

// Start starts a proxy to upstream (host:port of spannertest), stopped
// when the test ends.
func Start(t testing.TB, upstream string) *Proxy {
	t.Helper()
	conn, err := grpc.NewClient(upstream, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1<<30), grpc.MaxCallSendMsgSize(1<<30)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), MaxMutations: DefaultMaxMutations, MaxBytes: DefaultMaxBytes,
		logf: t.Logf, original: map[string]string{}, floats: map[string]map[string]bool{}, indexes: map[string]index{}, conn: conn}
	p.srv = grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(p.handle),
		grpc.MaxRecvMsgSize(1<<30), grpc.MaxSendMsgSize(1<<30))
	go p.srv.Serve(ln)
	t.Cleanup(func() {
		p.srv.Stop()
		conn.Close()
	})
	return p
}

// index is a CREATE INDEX statement the proxy passed on.
type index struct{ table, stmt string }

// rawCodec passes messages through as bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

const (
	mCommit = "/google.spanner.v1.Spanner/Commit"
	mDDL    = "/google.spanner.admin.database.v1.DatabaseAdmin/UpdateDatabaseDdl"
	mGetDDL = "/google.spanner.admin.database.v1.DatabaseAdmin/GetDatabaseDdl"
)

func (p *Proxy) handle(_ any, ss grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(ss)
	ctx := ss.Context()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		ctx = metadata.NewOutgoingContext(ctx, md.Copy())
	}
	switch method {
	case mCommit, mDDL, mGetDDL:
		return p.unary(ctx, method, ss)
	case mBatchWrite:
		return p.batchWrite(ctx, ss)
	}
	cs, err := p.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method, grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return err
	}
	go func() {
		for {
			var b []byte
			if err := ss.RecvMsg(&b); err != nil {
				cs.CloseSend()
				return
			}
			if err := cs.SendMsg(&b); err != nil {
				return
			}
		}
	}()
	for {
		var b []byte
		if err := cs.RecvMsg(&b); err != nil {
			ss.SetTrailer(cs.Trailer())
			if errors.Is(err, io.EOF) {
				return nil
			}
			p.logf("spannerproxy: %s: %v", method, err)
			return err
		}
		if err := ss.SendMsg(&b); err != nil {
			return err
		}
	}
}

// unary handles the calls the proxy looks into.
func (p *Proxy) unary(ctx context.Context, method string, ss grpc.ServerStream) error {
	var in []byte
	if err := ss.RecvMsg(&in); err != nil {
		return err
	}
	var err error
	switch method {
	case mCommit:
		if in, err = p.checkCommit(in); err != nil {
			return err
		}
	case mDDL:
		if in, err = p.rewriteDDL(in); err != nil {
			return err
		}
	}
	var out []byte
	if err := p.conn.Invoke(ctx, method, &in, &out, grpc.ForceCodec(rawCodec{})); err != nil {
		p.logf("spannerproxy: %s: %v", method, err)
		return err
	}
	if n := p.lostEvery.Load(); method == mCommit && n > 0 && p.applied.Add(1)%n == 0 {
		p.LostAnswers.Add(1)
		return status.Error(codes.Unavailable, "The service is currently unavailable.")
	}
	if method == mGetDDL {
		if out, err = p.restoreDDL(out); err != nil {
			return err
		}
	}
	return ss.SendMsg(&out)
}

// checkCommit refuses or aborts a commit as Spanner would.
func (p *Proxy) checkCommit(in []byte) ([]byte, error) {
	var req sppb.CommitRequest
	if err := proto.Unmarshal(in, &req); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "proxy: bad CommitRequest: %v", err)
	}
	n := 0
	for _, m := range req.Mutations {
		var w *sppb.Mutation_Write
		switch op := m.Operation.(type) {
		case *sppb.Mutation_Insert:
			w = op.Insert
		case *sppb.Mutation_Update:
			w = op.Update
		case *sppb.Mutation_InsertOrUpdate:
			w = op.InsertOrUpdate
		case *sppb.Mutation_Replace:
			w = op.Replace
		case *sppb.Mutation_Delete_:
			n += max(1, len(op.Delete.GetKeySet().GetKeys()))
			continue
		}
		if w != nil {
			n += len(w.Values) * (len(w.Columns) + p.indexCount(w.Table))
			p.floatStrings(w)
		}
	}
	if n > p.MaxMutations {
		p.Refused.Add(1)
		return nil, status.Errorf(codes.InvalidArgument, "The transaction contains too many mutations. Insert and update operations count with the multiplicity of the number of columns they affect. For example, inserting values into one key column and four non-key columns count as five mutations total for the insert. Delete and delete range operations count as one mutation regardless of the number of columns affected. The total mutation count includes any changes to indexes that the transaction generates. Please reduce the number of writes, or use fewer indexes. (Maximum number: %d)", p.MaxMutations)
	}
	if len(in) > p.MaxBytes {
		p.Refused.Add(1)
		return nil, status.Errorf(codes.InvalidArgument, "The transaction exceeds the maximum total bytes-size that can be handled by Spanner. Please reduce the size or number of the writes, or use fewer indexes. (Maximum size: %d)", p.MaxBytes)
	}
	if r := p.abortPermille.Load(); r > 0 && abortAt(p.offered.Add(1), r) {
		p.Aborted.Add(1)
		return nil, status.Error(codes.Aborted, "Transaction was aborted.")
	}
	if n := p.unavailableEvery.Load(); n > 0 && p.checked.Add(1)%n == 0 {
		p.Unavailable.Add(1)
		return nil, status.Error(codes.Unavailable, "The service is currently unavailable.")
	}
	p.Commits.Add(1)
	for {
		seen := p.MaxSeen.Load()
		if int64(n) <= seen || p.MaxSeen.CompareAndSwap(seen, int64(n)) {
			break
		}
	}
	return proto.Marshal(&req)
}

// abortAt says whether the k-th commit (from 1) is aborted at permille
// aborts in a thousand: whenever k*permille crosses a multiple of 1000.
func abortAt(k, permille int64) bool {
	return k*permille/1000 != (k-1)*permille/1000
}

// floatStrings turns "NaN", "Infinity" and "-Infinity" in FLOAT columns
// into numbers, the only floats spannertest takes.
func (p *Proxy) floatStrings(w *sppb.Mutation_Write) {
	p.mu.Lock()
	cols := p.floats[strings.ToLower(w.Table)]
	p.mu.Unlock()
	if len(cols) == 0 {
		return
	}
	fix := func(v *structpb.Value) {
		switch v.GetStringValue() {
		case "NaN":
			v.Kind = &structpb.Value_NumberValue{NumberValue: math.NaN()}
		case "Infinity":
			v.Kind = &structpb.Value_NumberValue{NumberValue: math.Inf(1)}
		case "-Infinity":
			v.Kind = &structpb.Value_NumberValue{NumberValue: math.Inf(-1)}
		}
	}
	for i, c := range w.Columns {
		if !cols[strings.ToLower(c)] {
			continue
		}
		for _, row := range w.Values {
			if i >= len(row.Values) {
				continue
			}
			v := row.Values[i]
			if l := v.GetListValue(); l != nil {
				for _, e := range l.Values {
					fix(e)
				}
				continue
			}
			fix(v)
		}
	}
}

func (p *Proxy) indexCount(table string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, ix := range p.indexes {
		if ix.table == strings.ToLower(table) {
			n++
		}
	}
	return n
}

var (
	createTable = regexp.MustCompile("(?is)^\\s*CREATE\\s+TABLE\\s+`?(\\w+)`?")
	createIndex = regexp.MustCompile("(?is)^\\s*CREATE\\s+(?:UNIQUE\\s+)?(?:NULL_FILTERED\\s+)?INDEX\\s+`?(\\w+)`?\\s+ON\\s+`?(\\w+)`?")
	dropTable   = regexp.MustCompile("(?is)^\\s*DROP\\s+TABLE\\s+`?(\\w+)`?")
	dropIndex   = regexp.MustCompile("(?is)^\\s*DROP\\s+INDEX\\s+`?(\\w+)`?")
	// A type spannertest cannot hold, where a type stands.
	// A column definition of a FLOAT type (or an ARRAY of one).
	floatColumn = regexp.MustCompile("(?im)^\\s*`?(\\w+)`?\\s+(?:ARRAY<)?FLOAT(?:32|64)\\b")
	unheld      = regexp.MustCompile(`([\s<])(JSON|NUMERIC|FLOAT32)([\s,>]|$)`)
)

// rewriteDDL stores JSON, NUMERIC and FLOAT32 columns as types
// spannertest holds, and notes indexes.
func (p *Proxy) rewriteDDL(in []byte) ([]byte, error) {
	var req dbpb.UpdateDatabaseDdlRequest
	if err := proto.Unmarshal(in, &req); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "proxy: bad UpdateDatabaseDdlRequest: %v", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, s := range req.Statements {
		switch {
		case createTable.MatchString(s):
			name := strings.ToLower(createTable.FindStringSubmatch(s)[1])
			r := s
			for unheld.MatchString(r) {
				r = unheld.ReplaceAllStringFunc(r, func(m string) string {
					sm := unheld.FindStringSubmatch(m)
					to := "STRING(MAX)"
					if sm[2] == "FLOAT32" {
						to = "FLOAT64"
					}
					return sm[1] + to + sm[3]
				})
			}
			if r != s {
				p.original[name] = s
				req.Statements[i] = r
			}
			p.floats[name] = map[string]bool{}
			for _, m := range floatColumn.FindAllStringSubmatch(s, -1) {
				p.floats[name][strings.ToLower(m[1])] = true
			}
		case createIndex.MatchString(s):
			m := createIndex.FindStringSubmatch(s)
			p.indexes[strings.ToLower(m[1])] = index{table: strings.ToLower(m[2]), stmt: s}
		case dropTable.MatchString(s):
			tn := strings.ToLower(dropTable.FindStringSubmatch(s)[1])
			delete(p.original, tn)
			for n, ix := range p.indexes {
				if ix.table == tn {
					delete(p.indexes, n)
				}
			}
			delete(p.floats, tn)
		case dropIndex.MatchString(s):
			delete(p.indexes, strings.ToLower(dropIndex.FindStringSubmatch(s)[1]))
		}
	}
	return proto.Marshal(&req)
}

// restoreDDL answers GetDatabaseDdl with the statements as the client
// sent them.
func (p *Proxy) restoreDDL(out []byte) ([]byte, error) {
	var resp dbpb.GetDatabaseDdlResponse
	if err := proto.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("proxy: bad GetDatabaseDdlResponse: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, s := range resp.Statements {
		if m := createTable.FindStringSubmatch(s); m != nil {
			if o, ok := p.original[strings.ToLower(m[1])]; ok {
				resp.Statements[i] = o
			}
		}
	}
	// spannertest lists no indexes.
	names := make([]string, 0, len(p.indexes))
	for n := range p.indexes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		resp.Statements = append(resp.Statements, p.indexes[n].stmt)
	}
	return proto.Marshal(&resp)
}
