// Package btproxy is a gRPC proxy on loopback in front of the Bigtable
// emulator, for tests of what the emulator never does: refuse a
// MutateRows request over Bigtable's mutation limit, and fail chosen
// entries of a request with UNAVAILABLE or RESOURCE_EXHAUSTED. Every
// other call, admin calls included, is forwarded frame by frame.
//
// Point a client at it with BIGTABLE_EMULATOR_HOST=Proxy.Addr().
package btproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	btpb "cloud.google.com/go/bigtable/apiv2/bigtablepb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// MaxMutations is Bigtable's limit of mutations in one MutateRows
// request.
const MaxMutations = 100_000

const mutateRows = "/google.bigtable.v2.Bigtable/MutateRows"

// FaultFunc decides the fate of one MutateRows entry: codes.OK forwards
// it; any other code fails it with that code. seen is how many times an
// entry of this row key reached the proxy before (0 the first time).
type FaultFunc func(key []byte, seen int) codes.Code

// Stats are what the proxy saw.
type Stats struct {
	// Requests counts MutateRows requests; Refused those refused for
	// their size; MaxMutations is the most mutations in one request.
	Requests, Refused, MaxMutations int
	// EntriesFailed counts entries failed on purpose.
	EntriesFailed int
	// Seen counts the entries that reached the proxy, by row key.
	Seen map[string]int
}

// Proxy is a running proxy.
type Proxy struct {
	lis  net.Listener
	srv  *grpc.Server
	conn *grpc.ClientConn

	mu    sync.Mutex
	limit int
	fault FaultFunc
	stats Stats
}

// Start listens on 127.0.0.1 and forwards to the emulator at target.
func Start(target string) (*Proxy, error) {
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(1<<30), grpc.MaxCallSendMsgSize(1<<30)))
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		conn.Close()
		return nil, err
	}
	p := &Proxy{lis: lis, conn: conn, limit: MaxMutations, stats: Stats{Seen: map[string]int{}}}
	p.srv = grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(p.handle),
		grpc.MaxRecvMsgSize(1<<30), grpc.MaxSendMsgSize(1<<30))
	go p.srv.Serve(lis)
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.lis.Addr().String() }

// Close stops the proxy.
func (p *Proxy) Close() {
	p.srv.Stop()
	p.conn.Close()
}

// SetLimit sets the most mutations a request may carry (default
// MaxMutations).
func (p *Proxy) SetLimit(n int) {
	p.mu.Lock()
	p.limit = n
	p.mu.Unlock()
}

// SetFault sets the entry fault function (nil: none).
func (p *Proxy) SetFault(f FaultFunc) {
	p.mu.Lock()
	p.fault = f
	p.mu.Unlock()
}

// Stats returns a copy of what the proxy saw.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Seen = make(map[string]int, len(p.stats.Seen))
	for k, v := range p.stats.Seen {
		s.Seen[k] = v
	}
	return s
}

// frame is one undecoded gRPC message.
type frame []byte

type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	f, ok := v.(*frame)
	if !ok {
		return nil, fmt.Errorf("btproxy: cannot marshal %T", v)
	}
	return *f, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	f, ok := v.(*frame)
	if !ok {
		return fmt.Errorf("btproxy: cannot unmarshal into %T", v)
	}
	*f = append((*f)[:0], data...)
	return nil
}

func (rawCodec) Name() string { return "proto" }

// handle forwards one call of any method.
func (p *Proxy) handle(_ any, ss grpc.ServerStream) error {
	method, ok := grpc.MethodFromServerStream(ss)
	if !ok {
		return status.Error(codes.Internal, "btproxy: no method")
	}
	md, _ := metadata.FromIncomingContext(ss.Context())
	ctx, cancel := context.WithCancel(metadata.NewOutgoingContext(ss.Context(), md.Copy()))
	defer cancel()
	cs, err := p.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		return err
	}
	if method == mutateRows {
		return p.mutateRows(ss, cs)
	}
	errc := make(chan error, 1)
	go func() {
		for {
			var f frame
			if err := ss.RecvMsg(&f); err != nil {
				if errors.Is(err, io.EOF) {
					errc <- cs.CloseSend()
					return
				}
				errc <- err
				return
			}
			if err := cs.SendMsg(&f); err != nil {
				errc <- err
				return
			}
		}
	}()
	return p.pumpBack(ss, cs)
}

// pumpBack copies the emulator's answers (headers, messages, trailer).
func (p *Proxy) pumpBack(ss grpc.ServerStream, cs grpc.ClientStream) error {
	if h, err := cs.Header(); err == nil {
		ss.SendHeader(h)
	}
	for {
		var f frame
		err := cs.RecvMsg(&f)
		if errors.Is(err, io.EOF) {
			ss.SetTrailer(cs.Trailer())
			return nil
		}
		if err != nil {
			ss.SetTrailer(cs.Trailer())
			return err
		}
		if err := ss.SendMsg(&f); err != nil {
			return err
		}
	}
}

// mutateRows checks a MutateRows request's size, fails the entries the
// fault function picks, forwards the rest, and answers for all of them.
func (p *Proxy) mutateRows(ss grpc.ServerStream, cs grpc.ClientStream) error {
	var f frame
	if err := ss.RecvMsg(&f); err != nil {
		return err
	}
	req := &btpb.MutateRowsRequest{}
	if err := proto.Unmarshal(f, req); err != nil {
		return status.Errorf(codes.InvalidArgument, "btproxy: %v", err)
	}
	n := 0
	for _, e := range req.Entries {
		n += len(e.Mutations)
	}
	p.mu.Lock()
	p.stats.Requests++
	p.stats.MaxMutations = max(p.stats.MaxMutations, n)
	if n > p.limit {
		p.stats.Refused++
		limit := p.limit
		p.mu.Unlock()
		// Bigtable's own answer to an oversized request.
		return status.Errorf(codes.InvalidArgument, "Too many mutations: %d (at most %d in one request)", n, limit)
	}
	var forward []*btpb.MutateRowsRequest_Entry
	var index []int64
	answers := &btpb.MutateRowsResponse{}
	for i, e := range req.Entries {
		seen := p.stats.Seen[string(e.RowKey)]
		p.stats.Seen[string(e.RowKey)]++
		code := codes.OK
		if p.fault != nil {
			code = p.fault(e.RowKey, seen)
		}
		if code != codes.OK {
			p.stats.EntriesFailed++
			answers.Entries = append(answers.Entries, &btpb.MutateRowsResponse_Entry{
				Index: int64(i), Status: status.Newf(code, "btproxy: entry failed on purpose (%s)", code).Proto(),
			})
			continue
		}
		forward = append(forward, e)
		index = append(index, int64(i))
	}
	p.mu.Unlock()
	if len(forward) > 0 {
		fwd := proto.Clone(req).(*btpb.MutateRowsRequest)
		fwd.Entries = forward
		b, err := proto.Marshal(fwd)
		if err != nil {
			return err
		}
		out := frame(b)
		if err := cs.SendMsg(&out); err != nil {
			return err
		}
		if err := cs.CloseSend(); err != nil {
			return err
		}
		for {
			var rf frame
			err := cs.RecvMsg(&rf)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			resp := &btpb.MutateRowsResponse{}
			if err := proto.Unmarshal(rf, resp); err != nil {
				return err
			}
			for _, e := range resp.Entries {
				e.Index = index[e.Index]
				answers.Entries = append(answers.Entries, e)
			}
		}
	}
	b, err := proto.Marshal(answers)
	if err != nil {
		return err
	}
	out := frame(b)
	return ss.SendMsg(&out)
}
