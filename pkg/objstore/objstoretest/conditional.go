package objstoretest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/objstore"
)

func testIfAbsent(t *testing.T, h Harness) {
	h.skipGap(t, GapIfAbsent)
	c := ctx(t, time.Minute)
	key := "cond/marker.json"
	first := []byte(`{"attempt":"first"}`)
	if err := h.Bucket.CreateIfAbsent(c, key, first); err != nil {
		t.Fatalf("first create: %v", err)
	}
	err := h.Bucket.CreateIfAbsent(c, key, []byte(`{"attempt":"second"}`))
	if !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("second create: got %v, want ErrExists", err)
	}
	equalBytes(t, "after a lost create", readAll(t, c, h.Bucket, key), first)
	// An empty object counts as existing, too.
	if err := h.Bucket.CreateIfAbsent(c, "cond/empty", nil); err != nil {
		t.Fatalf("create empty: %v", err)
	}
	if err := h.Bucket.CreateIfAbsent(c, "cond/empty", []byte("x")); !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("create over empty: got %v, want ErrExists", err)
	}
	equalBytes(t, "empty object after a lost create", readAll(t, c, h.Bucket, "cond/empty"), nil)
}

// testIfAbsentMultipart checks the conditional create of objects large
// enough for a multipart (S3) or resumable (GCS) upload, where the
// condition is checked at completion.
func testIfAbsentMultipart(t *testing.T, h Harness) {
	h.skipGap(t, GapIfAbsentMultipart)
	c := ctx(t, 2*time.Minute)
	part := h.minPart()
	size := int64(2*part + 10)
	key := "cond/big.bin"
	opts := &objstore.WriterOptions{IfAbsent: true, PartSize: part}
	sum, err := writeStream(c, h.Bucket, key, newStream(1, size), opts)
	if err != nil {
		t.Fatalf("first create: %v", err)
	}
	_, err = writeStream(c, h.Bucket, key, newStream(2, size), opts)
	if !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("second multipart create: got %v, want ErrExists", err)
	}
	checkAttrs(t, c, h.Bucket, key, sum)
	// A small object must not be replaced by a large conditional write either.
	if err := h.Bucket.CreateIfAbsent(c, "cond/small", []byte("small")); err != nil {
		t.Fatal(err)
	}
	if _, err := writeStream(c, h.Bucket, "cond/small", newStream(3, size), opts); !errors.Is(err, objstore.ErrExists) {
		t.Fatalf("multipart create over a small object: got %v, want ErrExists", err)
	}
	equalBytes(t, "small object after a lost multipart create", readAll(t, c, h.Bucket, "cond/small"), []byte("small"))
}

// testIfAbsentRace races 8 conditional creates of one key: exactly one
// wins, the others get ErrExists, and the object holds the winner's bytes.
func testIfAbsentRace(t *testing.T, h Harness) {
	h.skipGap(t, GapIfAbsentRace)
	c := ctx(t, 2*time.Minute)
	const racers = 8
	for round := range 3 {
		key := fmt.Sprintf("race/%d/commit.json", round)
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, racers)
		for i := range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fmt.Appendf(nil, `{"racer":%d,"pad":%q}`, i, strings.Repeat("x", 100*i))
				<-start
				errs[i] = h.Bucket.CreateIfAbsent(c, key, body)
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("round %d: racers %d and %d both won", round, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, objstore.ErrExists):
				t.Errorf("round %d: racer %d: got %v, want nil or ErrExists", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no racer won: %v", round, errs)
		}
		want := fmt.Appendf(nil, `{"racer":%d,"pad":%q}`, winner, strings.Repeat("x", 100*winner))
		equalBytes(t, fmt.Sprintf("round %d: object after the race", round), readAll(t, c, h.Bucket, key), want)
	}
}
