package spannerproxy

import (
	"context"

	sppb "cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	mBatchWrite = "/google.spanner.v1.Spanner/BatchWrite"
	mBegin      = "/google.spanner.v1.Spanner/BeginTransaction"
	mRollback   = "/google.spanner.v1.Spanner/Rollback"
)

// batchWrite answers BatchWrite, which spannertest lacks, with what
// Spanner promises of it: each mutation group applied atomically on its
// own, in no promised order, and a status for every group. It commits
// each group as a read-write transaction of its own behind the proxy,
// through the same checks as a commit (limits, injected ABORTED), and
// answers one response a group. A group answered with an error was not
// applied. Groups counts the groups the proxy received.
func (p *Proxy) batchWrite(ctx context.Context, ss grpc.ServerStream) error {
	var in []byte
	if err := ss.RecvMsg(&in); err != nil {
		return err
	}
	if p.NoBatchWrite.Load() {
		return status.Error(codes.Unimplemented, "Method google.spanner.v1.Spanner.BatchWrite is not implemented")
	}
	var req sppb.BatchWriteRequest
	if err := proto.Unmarshal(in, &req); err != nil {
		return status.Errorf(codes.InvalidArgument, "proxy: bad BatchWriteRequest: %v", err)
	}
	p.BatchWrites.Add(1)
	for i, g := range req.MutationGroups {
		p.Groups.Add(1)
		resp := &sppb.BatchWriteResponse{Indexes: []int32{int32(i)}, Status: status.New(codes.OK, "").Proto()}
		if ts, err := p.commitGroup(ctx, req.Session, g.Mutations); err != nil {
			resp.Status = status.Convert(err).Proto()
		} else {
			resp.CommitTimestamp = ts
		}
		out, err := proto.Marshal(resp)
		if err != nil {
			return err
		}
		if err := ss.SendMsg(&out); err != nil {
			return err
		}
	}
	return nil
}

// commitGroup applies one group upstream in a transaction of its own and
// returns its commit time.
func (p *Proxy) commitGroup(ctx context.Context, session string, ms []*sppb.Mutation) (*timestamppb.Timestamp, error) {
	begin, err := proto.Marshal(&sppb.BeginTransactionRequest{Session: session, Options: &sppb.TransactionOptions{Mode: &sppb.TransactionOptions_ReadWrite_{ReadWrite: &sppb.TransactionOptions_ReadWrite{}}}})
	if err != nil {
		return nil, err
	}
	var txb []byte
	if err := p.conn.Invoke(ctx, mBegin, &begin, &txb, grpc.ForceCodec(rawCodec{})); err != nil {
		return nil, err
	}
	var tx sppb.Transaction
	if err := proto.Unmarshal(txb, &tx); err != nil {
		return nil, err
	}
	commit, err := proto.Marshal(&sppb.CommitRequest{Session: session, Transaction: &sppb.CommitRequest_TransactionId{TransactionId: tx.Id}, Mutations: ms})
	if err != nil {
		return nil, err
	}
	if commit, err = p.checkCommit(commit); err != nil {
		// Refused or aborted: the transaction is rolled back, unapplied.
		if rb, merr := proto.Marshal(&sppb.RollbackRequest{Session: session, TransactionId: tx.Id}); merr == nil {
			var empty []byte
			_ = p.conn.Invoke(ctx, mRollback, &rb, &empty, grpc.ForceCodec(rawCodec{}))
		}
		return nil, err
	}
	var out []byte
	if err := p.conn.Invoke(ctx, mCommit, &commit, &out, grpc.ForceCodec(rawCodec{})); err != nil {
		return nil, err
	}
	var resp sppb.CommitResponse
	if err := proto.Unmarshal(out, &resp); err != nil {
		return nil, err
	}
	return resp.CommitTimestamp, nil
}
