package load

import (
	"context"
	"fmt"
	"strings"

	"github.com/lading-dev/lading/pkg/objstore"
)

// ListIncarnations finds, by listing alone, every incarnation of every
// target table whose ledger lives below base in b (e.g. LedgerDir), for
// readers that know no target's identity (the status report). Their
// ID() is the incarnation as the ledger's directory spells it.
func ListIncarnations(ctx context.Context, b *objstore.Bucket, base string) ([]*Incarnation, error) {
	if base != "" && !strings.HasSuffix(base, "/") {
		base += "/"
	}
	_, targets, err := b.ListAll(ctx, base, "/")
	if err != nil {
		return nil, fmt.Errorf("ledgers %s: %w", b.Location().Join(base), err)
	}
	var out []*Incarnation
	for _, tp := range targets {
		l := &Ledger{b: b, prefix: tp}
		_, incs, err := b.ListAll(ctx, tp, "/")
		if err != nil {
			return nil, fmt.Errorf("ledger %s: %w", l.Location(), err)
		}
		for _, ip := range incs {
			seg := strings.TrimSuffix(strings.TrimPrefix(ip, tp), "/")
			out = append(out, &Incarnation{l: l, id: seg, prefix: ip})
		}
	}
	return out, nil
}

// TargetID is the ledger directory the incarnation belongs to.
func (in *Incarnation) TargetID() string {
	return strings.TrimSuffix(in.l.prefix[strings.LastIndex(strings.TrimSuffix(in.l.prefix, "/"), "/")+1:], "/")
}

// PeekVerify returns the dump's verify.json (written when a verification
// failed, before any loaded record), or nil.
func (dl *DumpLedger) PeekVerify(ctx context.Context) (*VerifyResult, error) {
	var v VerifyResult
	ok, err := dl.in.l.readJSON(ctx, dl.prefix+"verify.json", &v)
	if err != nil || !ok {
		return nil, err
	}
	return &v, nil
}
