package load

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
)

// errStopLines ends readLines early without an error.
var errStopLines = errors.New("stop reading the part")

// proveLines proves part f of dump d (no line is read before its
// checksums matched) and reads it with readLines.
func (l *Loader) proveLines(ctx context.Context, d discover.Dump, f *manifest.File, fn func(line int64, text []byte) error) error {
	part, err := l.verifier.Prove(ctx, l.root.Bucket, d.Key(f.Name), f)
	if err != nil {
		return err
	}
	defer part.Close()
	return readLines(ctx, part, f, fn)
}

// readLines hands each line of a proven part to fn with its number
// (1-based); text is reused once fn returns. fn returning errStopLines
// ends the reading early and is not an error.
func readLines(ctx context.Context, part *Part, f *manifest.File, fn func(line int64, text []byte) error) error {
	rc, err := part.Open(ctx)
	if err != nil {
		return err
	}
	defer rc.Close()
	pr, err := format.NewPartReader(rc, f.Name)
	if err != nil {
		return partError(f.Name, 0, err)
	}
	defer pr.Close()
	for line := int64(1); ; line++ {
		text, err := pr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return partError(f.Name, line, err)
		}
		if err := fn(line, text); err != nil {
			if errors.Is(err, errStopLines) {
				return nil
			}
			return err
		}
	}
}

// rowDecoder returns a decoder of the dump's rows; the part is named in
// its errors.
func rowDecoder(m *manifest.Manifest, part string) (rowDecoding, error) {
	if m.Source.Kind == manifest.KindDynamoDB {
		return dynamoDecoder{}, nil
	}
	dec, err := format.NewDecoder(&m.Source.Table, columns(m), decoderOptions(m))
	if err != nil {
		return nil, fault.Usage(fmt.Errorf("part %s: %w", part, err))
	}
	return dec, nil
}

// rowError is a line the decoder or converter refused: the part says
// what it says, so retrying will not help.
func rowError(part string, line int64, err error) error {
	return fault.Usage(fmt.Errorf("part %s line %d: %w", part, line, err))
}

// partError wraps a part reading error: a part that cannot be
// decompressed or split into lines after its checksums matched was
// written that way, so retrying will not help.
func partError(name string, line int64, err error) error {
	if errors.Is(err, format.ErrCorrupt) {
		return rowError(name, line, err)
	}
	return fmt.Errorf("part %s line %d: %w", name, line, err)
}
