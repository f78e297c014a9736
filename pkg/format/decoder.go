package format

import (
	"fmt"

	"github.com/lading-dev/lading/pkg/schema"
)

// Decoder reads NDJSON lines back into rows of CQL serialized values. It
// keeps scratch buffers between calls, so it is not safe for concurrent
// use; use one per goroutine.
type Decoder struct {
	cols  []column
	index map[string]int
	opts  Options
	p     parser
	// Per column, for the row being decoded: offsets into the row's
	// arenas, -1 when absent.
	val, wt, ttl []span
}

type span struct{ start, end int }

// NewDecoder returns a decoder for the given columns of t (nil: all of
// them), which must match what the rows were encoded with. t must have
// been resolved (Table.Resolve).
func NewDecoder(t *schema.Table, columns []string, opts Options) (*Decoder, error) {
	cols, err := codecColumns(t, columns, opts)
	if err != nil {
		return nil, fmt.Errorf("format decoder: %w", err)
	}
	d := &Decoder{
		cols:  cols,
		index: make(map[string]int, len(cols)),
		opts:  opts,
		val:   make([]span, len(cols)),
		wt:    make([]span, len(cols)),
		ttl:   make([]span, len(cols)),
	}
	for i, c := range cols {
		d.index[c.name] = i
	}
	return d, nil
}

// DecodeRow parses one line (without or with its '\n') into r, reusing
// r's memory. It is strict: anything but one JSON object whose keys are
// the decoder's columns (each at most once) and, when captured,
// "_writetime" and "_ttl", with a value of the right JSON type and range
// for its column, is an error naming the column. A null value is the same
// as an absent key. After an error, r's contents are unspecified.
func (d *Decoder) DecodeRow(line []byte, r *Row) (err error) {
	p := &d.p
	p.buf, p.pos = line, 0
	if r.buf == nil {
		r.buf = make([]byte, 0, 512)
	}
	if r.nums == nil {
		r.nums = make([]int64, 0, 16)
	}
	p.out = r.buf[:0]
	nums := r.nums[:0]
	defer func() {
		r.buf, r.nums = p.out, nums
		p.out, p.buf = nil, nil
	}()
	for i := range d.cols {
		d.val[i], d.wt[i], d.ttl[i] = span{-1, -1}, span{-1, -1}, span{-1, -1}
	}
	var seenWT, seenTTL bool
	seen := func(i int) bool { return d.val[i].start != -1 }
	if !p.consume('{') {
		return p.errorf("want a JSON object, got %s", jsonKind(p.peek()))
	}
	next := 0 // keys usually come in column order: try that before the map
	if !p.consume('}') {
		for {
			key, err := p.str()
			if err != nil {
				return fmt.Errorf("row key: %w", err)
			}
			i, ok := next, next < len(d.cols) && d.cols[next].name == string(key)
			if !ok {
				i, ok = d.index[string(key)]
			}
			if ok {
				next = i + 1
			}
			if !ok {
				switch {
				case d.opts.Writetime && string(key) == WritetimeKey:
					if seenWT {
						return p.errorf("key %q given twice", key)
					}
					seenWT = true
					if nums, err = d.meta(WritetimeKey, d.wt, nums); err != nil {
						return err
					}
				case d.opts.TTL && string(key) == TTLKey:
					if seenTTL {
						return p.errorf("key %q given twice", key)
					}
					seenTTL = true
					if nums, err = d.meta(TTLKey, d.ttl, nums); err != nil {
						return err
					}
				default:
					return p.errorf("unknown column %q", key)
				}
			} else {
				c := &d.cols[i]
				if seen(i) {
					return p.errorf("column %q given twice", c.name)
				}
				if err := p.expect(':'); err != nil {
					return fmt.Errorf("column %q: %w", c.name, err)
				}
				if p.literal("null") {
					d.val[i] = span{-2, -2} // seen, null
				} else {
					start := len(p.out)
					if err := p.value(c.t); err != nil {
						return fmt.Errorf("column %q: %w", c.name, err)
					}
					d.val[i] = span{start, len(p.out)}
				}
			}
			if p.consume('}') {
				break
			}
			if !p.consume(',') {
				return p.errorf("want ',' or '}' after a row value")
			}
		}
	}
	if p.peek() != 0 {
		return p.errorf("unexpected data after the row object")
	}
	n := len(d.cols)
	r.Values = resize(r.Values, n)
	for i, s := range d.val {
		r.Values[i] = nil
		if s.start >= 0 {
			r.Values[i] = p.out[s.start:s.end:s.end]
		}
	}
	r.Writetime = fillMeta(r.Writetime, d.opts.Writetime, d.wt, nums)
	r.TTL = fillMeta(r.TTL, d.opts.TTL, d.ttl, nums)
	return nil
}

func resize[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

func fillMeta(m [][]int64, on bool, spans []span, nums []int64) [][]int64 {
	if !on {
		return m[:0]
	}
	m = resize(m, len(spans))
	for i, s := range spans {
		m[i] = nil
		if s.start >= 0 {
			m[i] = nums[s.start:s.end:s.end]
		}
	}
	return m
}

// meta parses the value of "_writetime" or "_ttl": an object of column
// names to a number (single-cell columns) or an array of numbers and nulls
// (NullElement) for multi-cell columns; null means none.
func (d *Decoder) meta(key string, spans []span, nums []int64) ([]int64, error) {
	p := &d.p
	if err := p.expect(':'); err != nil {
		return nums, fmt.Errorf("%s: %w", key, err)
	}
	if p.literal("null") {
		return nums, nil
	}
	if !p.consume('{') {
		return nums, fmt.Errorf("%s: %w", key, p.errorf("want an object, got %s", jsonKind(p.peek())))
	}
	if p.consume('}') {
		return nums, nil
	}
	for {
		name, err := p.str()
		if err != nil {
			return nums, fmt.Errorf("%s: %w", key, err)
		}
		i, ok := d.index[string(name)]
		if !ok {
			return nums, fmt.Errorf("%s: %w", key, p.errorf("unknown column %q", name))
		}
		c := &d.cols[i]
		if !c.timed {
			return nums, fmt.Errorf("%s: column %q is a key column", key, c.name)
		}
		if spans[i].start != -1 {
			return nums, fmt.Errorf("%s: column %q given twice", key, c.name)
		}
		if err := p.expect(':'); err != nil {
			return nums, fmt.Errorf("%s: column %q: %w", key, c.name, err)
		}
		start := len(nums)
		switch {
		case p.literal("null"):
			spans[i] = span{-2, -2}
		case !c.multi:
			v, err := d.int64()
			if err != nil {
				return nums, fmt.Errorf("%s: column %q: %w", key, c.name, err)
			}
			nums = append(nums, v)
			spans[i] = span{start, len(nums)}
		default:
			if !p.consume('[') {
				return nums, fmt.Errorf("%s: column %q: %w", key, c.name,
					p.errorf("want an array for a multi-cell column, got %s", jsonKind(p.peek())))
			}
			if !p.consume(']') {
				for {
					v := NullElement
					var err error
					if !p.literal("null") {
						v, err = d.int64()
					}
					if err != nil {
						return nums, fmt.Errorf("%s: column %q: %w", key, c.name, err)
					}
					nums = append(nums, v)
					if p.consume(']') {
						break
					}
					if !p.consume(',') {
						return nums, fmt.Errorf("%s: column %q: %w", key, c.name, p.errorf("want ',' or ']'"))
					}
				}
			}
			spans[i] = span{start, len(nums)}
		}
		if p.consume('}') {
			return nums, nil
		}
		if !p.consume(',') {
			return nums, fmt.Errorf("%s: %w", key, p.errorf("want ',' or '}'"))
		}
	}
}

func (d *Decoder) int64() (int64, error) {
	p := &d.p
	c := p.peek()
	if c != '-' && (c < '0' || c > '9') {
		return 0, p.errorf("want an integer, got %s", jsonKind(c))
	}
	tok, frac, exp, err := p.number()
	if err != nil {
		return 0, err
	}
	v, ok := parseInt64(tok)
	if frac || exp || !ok {
		return 0, p.errorf("%s is not a 64-bit integer", tok)
	}
	if v == NullElement {
		return 0, p.errorf("%s is reserved", tok)
	}
	return v, nil
}
