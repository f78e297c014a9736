// Command testfmt turns `go test -json` output (on stdin) back into the
// short text `go test` prints without -v: package result lines, and the
// output of failing tests only. At the end it prints one closing line,
//
//	tests: N passed, N failed, N skipped
//
// which it also writes to the file named by -summary. Lines that are not
// JSON events (for example errors from the go command) pass through as they
// are. scripts/test.sh uses it so that CI can read how many tests ran.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
)

type event struct {
	Action      string
	Package     string
	ImportPath  string
	Test        string
	Output      string
	FailedBuild string
}

func main() {
	summary := flag.String("summary", "", "also write the closing line to this file")
	flag.Parse()

	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()

	var passed, failed, skipped int
	var skips []string                 // "package TestName: reason", in the order they ended
	bufs := map[string][]string{}      // package + "\x00" + test -> output so far
	running := map[string]bool{}       // tests started and not finished
	pkgFailedTests := map[string]int{} // package -> failed tests

	// unfinished prints what the tests of pkg that never finished (a timeout,
	// a panic) printed, and counts them as failed.
	unfinished := func(pkg string) {
		for k := range running {
			if strings.HasPrefix(k, pkg+"\x00") {
				for _, s := range bufs[k] {
					fmt.Fprint(out, s)
				}
				delete(bufs, k)
				delete(running, k)
				failed++
				pkgFailedTests[pkg]++
			}
		}
	}

	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	for in.Scan() {
		line := in.Text()
		var e event
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &e) != nil || e.Action == "" {
			fmt.Fprintln(out, line)
			out.Flush()
			continue
		}
		key := e.Package + "\x00" + e.Test
		switch {
		case e.Action == "build-output":
			fmt.Fprint(out, e.Output)
		case e.Test != "":
			switch e.Action {
			case "run":
				running[key] = true
			case "output":
				if !strings.HasPrefix(e.Output, "=== ") {
					bufs[key] = append(bufs[key], e.Output)
				}
			case "pass":
				passed++
				delete(bufs, key)
				delete(running, key)
			case "skip":
				skipped++
				skips = append(skips, e.Package+" "+e.Test+": "+skipReason(bufs[key]))
				delete(bufs, key)
				delete(running, key)
			case "fail":
				failed++
				delete(running, key)
				pkgFailedTests[e.Package]++
				for _, s := range bufs[key] {
					fmt.Fprint(out, s)
				}
				delete(bufs, key)
			}
		default: // package level
			switch e.Action {
			case "output":
				if strings.HasPrefix(e.Output, "FAIL\t") {
					unfinished(e.Package) // before the package's closing FAIL line
				}
				if e.Output != "PASS\n" {
					fmt.Fprint(out, e.Output)
				}
			case "fail":
				unfinished(e.Package)
				if pkgFailedTests[e.Package] == 0 {
					failed++ // the package failed without a failing test (build error, panic, timeout)
				}
			}
		}
		out.Flush()
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(out, "testfmt:", err)
		failed++
	}
	// A skipped test never passes silently: each is listed with its
	// reason before the closing line.
	for _, sk := range skips {
		fmt.Fprintln(out, "skipped:", sk)
	}
	closing := fmt.Sprintf("tests: %d passed, %d failed, %d skipped", passed, failed, skipped)
	fmt.Fprintln(out, closing)
	if *summary != "" {
		_ = os.WriteFile(*summary, []byte(closing+"\n"), 0o644)
	}
	if failed > 0 {
		out.Flush()
		os.Exit(1)
	}
}

// skipReason returns what a skipped test said before its "--- SKIP" line
// (the argument of t.Skip), or "no reason given".
func skipReason(output []string) string {
	var reason string
	for _, o := range output {
		t := strings.TrimSpace(o)
		if t == "" || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		reason = t
	}
	if reason == "" {
		return "no reason given"
	}
	return reason
}
