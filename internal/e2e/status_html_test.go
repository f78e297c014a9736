package e2e

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Page size the screenshot is taken at.
const pageW, pageH = 1200, 900

// chromium returns a command running Debian's chromium through
// scripts/services.sh (which installs the pinned package once). When it
// cannot be installed the test is skipped with the reason, except where
// services are required (make test, CI): there it fails.
func chromium(t *testing.T) func(ctx context.Context, args ...string) *exec.Cmd {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "services.sh"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(script, "tool", "chromium", "--version").CombinedOutput()
	if err != nil {
		msg := "chromium could not be installed (scripts/services.sh tool chromium): " + err.Error() + "\n" + lastLines(string(out), 5)
		if os.Getenv("LADING_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip("skipped: " + msg)
	}
	t.Logf("%s", strings.TrimSpace(lastLines(string(out), 1)))
	return func(ctx context.Context, args ...string) *exec.Cmd {
		// No network for the page: every host name resolves to nothing and
		// any proxy use goes to a closed port; a profile of its own.
		base := []string{"tool", "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
			"--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
			"--user-data-dir=" + t.TempDir(), "--hide-scrollbars", "--force-device-scale-factor=1",
			// Paint the whole page before the screenshot is taken.
			"--run-all-compositor-stages-before-draw", "--virtual-time-budget=3000"}
		return exec.CommandContext(ctx, script, append(base, args...)...)
	}
}

// checkStatusPage renders status --html in a real headless Chromium from
// file:// and checks what a person would see: the tables, stages and lags
// as text in the rendered DOM, and a screenshot of the expected size that
// is not blank and shows the colours of done (green) and behind (red).
func checkStatusPage(t *testing.T, p *statusPipeline) {
	browser := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "status.html")
	code, out := run(t, "status", "--root", p.s3Root, "--root", p.gcsRoot, "--max-lag", "1s", "--html", page)
	if code != 1 {
		t.Fatalf("status --max-lag 1s --html: exit %d, want 1 (b2 is behind):\n%s", code, out)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script", "<link", "@import", "url(", "src=", "https://"} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("the page is not self-contained: it has %q", bad)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pageURL := "file://" + filepath.ToSlash(page)
	dom, err := browser(ctx, "--dump-dom", pageURL).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	text := string(dom)
	b1ts, b2ts := strings.Split(p.b1, "/")[2], strings.Split(p.b2, "/")[2]
	for _, want := range []string{"lading status", p.table, b1ts, b2ts, ">export<", ">ship<", ">load<", ">verify<",
		"took ", "waiting ", "count: 300 rows", p.b2 + ": ship ", "Timelines", "behind (over the max lag) or failed"} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
	if n := strings.Count(text, "<svg"); n != 2 {
		t.Errorf("%d timelines, want one per dump (2)", n)
	}

	shot := filepath.Join(dir, "shot.png")
	cmd := browser(ctx, "--screenshot="+shot, "--window-size="+strconv.Itoa(pageW)+","+strconv.Itoa(pageH), pageURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, lastLines(string(out), 10))
	}
	checkScreenshot(t, shot)
	// LADING_KEEP_STATUS_PAGE=FILE keeps the screenshot, to look at.
	if keep := os.Getenv("LADING_KEEP_STATUS_PAGE"); keep != "" {
		_ = os.WriteFile(keep, mustRead(t, shot), 0o644)
	}
}

// checkScreenshot decodes the PNG and checks its size and that it shows
// a page: many colours, among them the legend's green and red.
func checkScreenshot(t *testing.T, name string) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != pageW || b.Dy() != pageH {
		t.Fatalf("screenshot %dx%d, want %dx%d", b.Dx(), b.Dy(), pageW, pageH)
	}
	colours := map[uint32]int{}
	dark := 0 // text
	eachPixel(img, func(r, g, b uint8) {
		colours[uint32(r)<<16|uint32(g)<<8|uint32(b)]++
		if r < 80 && g < 80 && b < 80 {
			dark++
		}
	})
	if dark < 2000 {
		t.Errorf("screenshot shows %d dark pixels: no text rendered (a font missing?)", dark)
	}
	if len(colours) < 20 {
		t.Errorf("screenshot looks blank: %d colours", len(colours))
	}
	green, red := colours[0x2e8540], colours[0xc62828]
	if green < 50 || red < 50 {
		t.Errorf("screenshot shows %d green (done) and %d red (behind) pixels, want both", green, red)
	}
	t.Logf("screenshot %s: %d colours, %d green, %d red, %d dark (text) pixels", name, len(colours), green, red, dark)
}

func eachPixel(img image.Image, fn func(r, g, b uint8)) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			fn(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
		}
	}
}

// lastLines returns the last n lines of s, for messages.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
