//go:build chaos

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lading-dev/lading/internal/testenv/faultproxy"
	"github.com/lading-dev/lading/pkg/manifest"
	"github.com/lading-dev/lading/pkg/objstore"
)

const (
	shipKills    = 10
	shipMaxRuns  = 40
	shipRunLimit = 10 * time.Minute
)

// startFaultProxy puts a fault proxy in front of the S3 server for the
// whole stage: of every six connections, one is reset early (within its
// first request), one reset mid-body, one answered 503, one held before
// it is forwarded; every byte the server sends is delayed a little.
// Every other connection is healthy, so retries can always get through.
func (c *chaos) startFaultProxy(salt uint64) *faultproxy.Proxy {
	u, err := url.Parse(c.s3Endpoint)
	if err != nil {
		c.t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(c.seed, salt))
	var mu sync.Mutex
	intn := func(n int) int {
		mu.Lock()
		defer mu.Unlock()
		return rng.IntN(n)
	}
	p := faultproxy.Start(c.t, u.Host, faultproxy.Options{Plan: func(n int64) faultproxy.Fault {
		switch n % 6 {
		case 1:
			return faultproxy.Fault{ResetAfter: int64(100 + intn(1000))}
		case 3:
			return faultproxy.Fault{Respond: answer503}
		case 4:
			return faultproxy.Fault{Delay: time.Duration(50+intn(400)) * time.Millisecond}
		case 5:
			return faultproxy.Fault{ResetAfter: int64(32<<10 + intn(2<<20))}
		}
		return faultproxy.Fault{}
	}})
	p.SetLatency(3 * time.Millisecond)
	return p
}

// answer503 reads the request head, answers 503 Slow Down and hangs up.
func answer503(client net.Conn) {
	if req, err := http.ReadRequest(bufio.NewReader(client)); err == nil {
		req.Body.Close()
	}
	io.WriteString(client, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
}

func proxyNote(p *faultproxy.Proxy) string {
	st := p.Stats()
	return fmt.Sprintf("fault proxy: %d connections, %d reset, %d answered 503, %d held", st.Conns, st.Resets, st.Responded, st.Delayed)
}

// shipStage ships the dump from file:// to S3 through the fault proxy
// under SIGKILLs until a run exits 0. After every run the destination is
// inspected directly: a _SUCCESS there must sit over every file intact.
func (c *chaos) shipStage(d *dump) {
	t := c.t
	proxy := c.startFaultProxy(0x5b)
	rng := rand.New(rand.NewPCG(c.seed, 0x5c))
	from := "file://" + filepath.ToSlash(c.dumpDir)
	to := c.s3URL("http://" + proxy.Addr())
	base := []string{"--from", from, "--to", to, "--transfers", "3", "--log-level", "warn"}
	// The first killed runs are throttled so that a full copy would take
	// about 30s, longer than they last together; the next ones go at
	// full speed, killed sooner.
	bw := max(d.M.Totals.StoredBytes/30, 128<<10)
	slow := []string{"--bwlimit", strconv.FormatInt(bw, 10)}

	fig := stageFigures{Stage: "ship", Rows: d.M.Totals.Rows, Bytes: d.M.Totals.StoredBytes}
	start := time.Now()
	successKey := d.Prefix + "/" + manifest.SuccessName
	manifestKey := d.Prefix + "/" + manifest.ManifestName
	finishKilled := false
	for run := 0; ; run++ {
		if run >= shipMaxRuns || c.left() < shipRunLimit/4 {
			t.Fatalf("shipper: no exit 0 after %d runs", run)
		}
		report := filepath.Join(c.tmp, fmt.Sprintf("ship-%d.json", run))
		args := append(append([]string{}, base...), "--report", report)
		var kp killPlan
		finishing := false
		switch {
		case fig.Kills < shipKills-4:
			args = append(args, slow...)
			kp = killPlan{After: time.Duration(300+rng.IntN(2700)) * time.Millisecond}
			kp.Why = "throttled, at " + kp.After.String()
		case fig.Kills < shipKills-1:
			kp = killPlan{After: time.Duration(300+rng.IntN(1500)) * time.Millisecond}
			kp.Why = "at " + kp.After.String()
		case !finishKilled:
			// At full speed, killed once the manifest is at the
			// destination and before _SUCCESS: while it confirms the
			// files and marks the dump.
			var last time.Time
			kp.When = func() bool {
				if time.Since(last) < 20*time.Millisecond {
					return false
				}
				last = time.Now()
				m, _ := c.direct.Exists(context.Background(), manifestKey)
				s, _ := c.direct.Exists(context.Background(), successKey)
				finishing = m && !s
				return finishing
			}
			kp.Why = "once the manifest is there"
		}
		o, rep, ok := fig.run(t, c.bins["shipper"], args, kp, shipRunLimit, report)
		marked := c.checkMarked(d)
		intact := c.intactFiles(d)
		switch {
		case o.Killed:
			fig.Kills++
			if finishing {
				finishKilled = true
				kp.Why = "while finishing (manifest there)"
			}
			t.Logf("ship run %d: killed %s (%s): %d/%d files intact at the destination, marked %v",
				run, kp.Why, o.Dur.Round(time.Millisecond), intact, len(d.M.Files), marked)
			continue
		case o.Crashed || o.Code >= 2:
			t.Fatalf("ship run %d: %s, not retryable:\n%s", run, o, tail(o.Out, 30))
		case o.Code == 1:
			fig.Exit1++
			t.Logf("ship run %d: %s (retryable): %s", run, o, tail(o.Out, 3))
			continue
		}
		t.Logf("ship run %d: %s: %s", run, o, strings.TrimSpace(o.Out))
		if !finishKilled && kp.When != nil {
			// The run ended before the trigger: that is a finish, not a
			// failure, but say so.
			fig.Notes = append(fig.Notes, "no run was caught between the manifest and _SUCCESS")
		}
		if !marked {
			t.Fatalf("the shipper exited 0 but %s has no _SUCCESS at the destination", d.Prefix)
		}
		if ok && rep.DurationSeconds > 0 {
			fig.Notes = append(fig.Notes, fmt.Sprintf("last run: %d files copied, %d skipped as intact, in %.1fs",
				rep.Counters["files_copied"], rep.Counters["files_skipped"], rep.DurationSeconds))
		}
		break
	}
	fig.Wall = time.Since(start)
	if fig.Kills < 5 {
		t.Fatalf("only %d shipper runs were killed; the stage wants at least 5", fig.Kills)
	}
	st := proxy.Stats()
	fig.Notes = append(fig.Notes, proxyNote(proxy))
	if st.Resets == 0 || st.Responded == 0 || st.Delayed == 0 {
		t.Errorf("the fault proxy did not inject every kind of fault: %s", proxyNote(proxy))
	}

	// Verified at rest, every byte re-read, straight from the server.
	o, err := runOnce(c.bins["shipper"], []string{"--check", c.s3URL(c.s3Endpoint), "--full", "--log-level", "warn"}, killPlan{}, shipRunLimit)
	if err != nil {
		t.Fatal(err)
	}
	if o.Code != 0 || !strings.Contains(o.Out, "checked 1 dumps") || !strings.Contains(o.Out, " 0 problems") {
		t.Fatalf("shipper --check --full at the destination: %s, want exit 0, 1 dump checked, no problem:\n%s", o, o.Out)
	}
	c.addFigures(fig)
}

// checkMarked reports whether the dump is marked complete at the
// destination and, if it is, fails the test unless the manifest is the
// source's byte for byte and every file is there with the manifest's
// size and a store-computed CRC32C equal to the manifest's.
func (c *chaos) checkMarked(d *dump) bool {
	t := c.t
	t.Helper()
	ctx := context.Background()
	ok, err := c.direct.Exists(ctx, d.Prefix+"/"+manifest.SuccessName)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return false
	}
	m, err := c.direct.ReadAll(ctx, d.Prefix+"/"+manifest.ManifestName)
	if err != nil || !bytes.Equal(m, d.ManifestBytes) {
		t.Fatalf("%s has _SUCCESS at the destination but not the source's manifest (%v)", d.Prefix, err)
	}
	if n := c.intactFiles(d); n != len(d.M.Files) {
		t.Fatalf("%s has _SUCCESS at the destination with only %d of %d files intact", d.Prefix, n, len(d.M.Files))
	}
	return true
}

// intactFiles counts the dump's files at the destination with the
// manifest's size and store-computed CRC32C.
func (c *chaos) intactFiles(d *dump) int {
	t := c.t
	t.Helper()
	n := 0
	for _, f := range d.M.Files {
		a, err := c.direct.Attributes(context.Background(), d.Prefix+"/"+f.Name)
		if errors.Is(err, objstore.ErrNotFound) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		want, err := strconv.ParseUint(f.CRC32C, 16, 32)
		if err != nil {
			t.Fatalf("manifest file %s: crc32c %q: %v", f.Name, f.CRC32C, err)
		}
		if a.Size == f.StoredBytes && a.HasCRC32C && a.CRC32C == uint32(want) {
			n++
		}
	}
	return n
}
