package e2e

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// repoFile returns the path of a file at the repository's root.
func repoFile(name string) string { return filepath.Join("..", "..", name) }

// fenced returns the code blocks of a Markdown file fenced with lang.
func fenced(t *testing.T, path, lang string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?ms)^```" + lang + "\n(.*?)^```")
	var out []string
	for _, m := range re.FindAllSubmatch(b, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// The Kubernetes manifests in docs/operations.md are valid YAML objects
// with a kind; every container of the image names its command (the
// image's ENTRYPOINT is empty, so args alone would be run as the
// program), one of the four.
func TestOperationsManifestsParse(t *testing.T) {
	kinds := map[string]int{}
	for i, block := range fenced(t, repoFile("docs/operations.md"), "yaml") {
		dec := yaml.NewDecoder(strings.NewReader(block))
		for {
			var doc struct {
				APIVersion string `yaml:"apiVersion"`
				Kind       string `yaml:"kind"`
				Spec       any    `yaml:"spec"`
			}
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("yaml block %d: %v\n%s", i+1, err, block)
			}
			if doc.APIVersion == "" || doc.Kind == "" {
				t.Fatalf("yaml block %d: a document without apiVersion or kind\n%s", i+1, block)
			}
			kinds[doc.Kind]++
			for _, c := range containers(doc.Spec) {
				image, _ := c["image"].(string)
				cmd, _ := c["command"].([]any)
				if !strings.HasPrefix(image, "lading:") {
					continue
				}
				if len(cmd) == 0 || !slices.Contains([]any{"exporter", "shipper", "loader", "status"}, cmd[0]) {
					t.Errorf("yaml block %d: container %v of %s runs %v, not one of the image's commands", i+1, c["name"], image, cmd)
				}
			}
		}
	}
	if kinds["CronJob"] < 3 {
		t.Fatalf("operations.md has %d CronJobs, want one per stage: %v", kinds["CronJob"], kinds)
	}
}

// containers returns every container list's items below v.
func containers(v any) []map[string]any {
	var out []map[string]any
	switch v := v.(type) {
	case map[string]any:
		for k, sub := range v {
			if list, ok := sub.([]any); ok && k == "containers" {
				for _, c := range list {
					if m, ok := c.(map[string]any); ok {
						out = append(out, m)
					}
				}
				continue
			}
			out = append(out, containers(sub)...)
		}
	case []any:
		for _, sub := range v {
			out = append(out, containers(sub)...)
		}
	}
	return out
}

// The Airflow DAG in docs/operations.md compiles (Airflow itself is not
// installed here, so imports are not resolved).
func TestOperationsDAGCompiles(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("skipped: no python3 on this machine to compile the DAG with")
	}
	blocks := fenced(t, repoFile("docs/operations.md"), "python")
	if len(blocks) == 0 {
		t.Fatal("no DAG in operations.md")
	}
	for i, block := range blocks {
		if !strings.Contains(block, "@dag(") || !strings.Contains(block, "_SUCCESS") {
			t.Fatalf("python block %d is not the DAG with the batch marker sensor", i+1)
		}
		f := filepath.Join(t.TempDir(), "lading_dag.py")
		if err := os.WriteFile(f, []byte(block), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "-m", "py_compile", f).CombinedOutput()
		if err != nil {
			t.Fatalf("python block %d does not compile: %v\n%s", i+1, err, out)
		}
	}
}

// make image without a working container builder says so and exits 2;
// the image is static and non-root, and holds the four commands (status
// too: operations.md runs it from a CronJob).
func TestImageWithoutBuilder(t *testing.T) {
	cmd := exec.Command("bash", repoFile("scripts/image.sh"))
	cmd.Env = append(os.Environ(), "CONTAINER_BUILDERS=no-such-builder")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "no container builder found") ||
		!strings.Contains(stderr.String(), "no-such-builder: not installed") {
		t.Fatalf("image.sh without a builder: %v\n%s", err, stderr.String())
	}
	df, err := os.ReadFile(repoFile("Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CGO_ENABLED=0", "distroless/static", "USER 65532", "./cmd/exporter ./cmd/shipper ./cmd/loader ./cmd/status",
		"/out/exporter /out/shipper /out/loader /out/status /usr/local/bin/"} {
		if !bytes.Contains(df, []byte(want)) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
