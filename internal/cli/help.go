package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// printHelp writes the summary, usage, flags, examples and the rules for
// config, environment and exit codes.
func (a *App) printHelp(w io.Writer) {
	// Never show the default of a sensitive flag.
	restore := map[*pflag.Flag]string{}
	a.fs.VisitAll(func(f *pflag.Flag) {
		if sensitive(f.Name) {
			restore[f] = f.DefValue
			f.DefValue = ""
		}
	})
	flags := a.fs.FlagUsages()
	for f, d := range restore {
		f.DefValue = d
	}

	fmt.Fprintf(w, "%s: %s\n\nUsage:\n  %s\n\nFlags:\n%s", a.name, a.summary, a.usage, flags)
	if ex := strings.TrimRight(a.examples, "\n"); ex != "" {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, line := range strings.Split(ex, "\n") {
			if line == "" {
				fmt.Fprintln(w)
				continue
			}
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
	fmt.Fprintf(w, `
Every flag may also be set as an environment variable %sFLAG_NAME (e.g.
%s) or as a key of the YAML --config file (e.g. "log-level: debug").
The command line wins over the environment, which wins over the config file.

Exit codes: 0 done (or nothing to do), 1 failed but worth retrying,
2 bad usage or input, 3 verification failed.
`, EnvPrefix, EnvName("log-level"))
}
