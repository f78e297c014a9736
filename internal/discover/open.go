package discover

import (
	"context"
	"errors"
	"fmt"

	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

// Root is a store opened at the level above <batch>, possibly narrowed to
// the one dump its URL named.
type Root struct {
	Bucket *objstore.Bucket
	// Dump is set when the URL named one dump rather than a root.
	Dump *Dump
}

// Close releases the store.
func (r *Root) Close() error { return r.Bucket.Close() }

// Filter returns f narrowed to the root's dump, if the URL named one.
func (r *Root) Filter(f Filter) (Filter, error) {
	if r.Dump == nil {
		return f, nil
	}
	return f.Narrow(*r.Dump)
}

// Find lists the root's dumps that match f (and the URL's dump, if any).
func (r *Root) Find(ctx context.Context, f Filter, opts *Options) ([]Dump, error) {
	nf, err := r.Filter(f)
	if err != nil {
		return nil, err
	}
	return Find(ctx, r.Bucket, nf, opts)
}

// OpenOptions tune Open.
type OpenOptions struct {
	// Probe lets Open look for manifest.json at the URL when its path does
	// not have the shape of a dump, to refuse a dump whose levels are
	// misnamed instead of treating it as a root. Use it for sources; a
	// destination has no manifest yet.
	Probe bool
}

// Open opens the store a URL names. A URL whose last three path levels
// are a valid <batch>/<table>/<timestamp> names one dump: the store is
// opened at its root (the prefix less those three levels) and Root.Dump
// names the dump. Any other URL is a root.
func Open(ctx context.Context, rawURL string, opts *OpenOptions) (*Root, error) {
	loc, err := objstore.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	return OpenLocation(ctx, loc, opts)
}

// OpenLocation is Open for a parsed location.
func OpenLocation(ctx context.Context, loc *objstore.Location, opts *OpenOptions) (*Root, error) {
	if d, ok := DumpAt(loc); ok {
		rootLoc, _, err := loc.Parent(3)
		if err != nil {
			return nil, err
		}
		b, err := objstore.OpenLocation(ctx, rootLoc)
		if err != nil {
			return nil, err
		}
		return &Root{Bucket: b, Dump: &d}, nil
	}
	b, err := objstore.OpenLocation(ctx, loc)
	if err != nil {
		return nil, err
	}
	if opts != nil && opts.Probe {
		_, err := b.Attributes(ctx, manifest.ManifestName)
		switch {
		case err == nil:
			_ = b.Close()
			return nil, fmt.Errorf("%w: %s holds a %s but its path does not end in <batch>/<table>/<timestamp> with valid names", objstore.ErrBadURL, loc, manifest.ManifestName)
		case !errors.Is(err, objstore.ErrNotFound):
			_ = b.Close()
			return nil, fmt.Errorf("open %s: %w", loc, err)
		}
	}
	return &Root{Bucket: b}, nil
}

// DumpAt reports whether loc's last three levels have the shape of a dump
// and names it.
func DumpAt(loc *objstore.Location) (Dump, bool) {
	_, levels, err := loc.Parent(3)
	if err != nil {
		return Dump{}, false
	}
	d, err := NewDump(levels[0], levels[1], levels[2])
	return d, err == nil
}
