package cli

import (
	"os"
	"strings"

	"github.com/lading-dev/lading/internal/fault"
)

// SecretFileVars are the credentials the commands read from the
// environment, themselves or through a cloud SDK's chain. Each may be
// given instead as NAME_FILE, the path of a file holding the value, as
// Kubernetes mounts secrets: CASSANDRA_PASSWORD_FILE=/var/run/secrets/…
var SecretFileVars = []string{
	"CASSANDRA_USERNAME", "CASSANDRA_PASSWORD",
	"SNOWFLAKE_PASSWORD",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
}

// FileSuffix turns a secret's variable name into the one naming its file.
const FileSuffix = "_FILE"

// readSecretFiles reads the file of every NAME_FILE set in env. A file
// that cannot be read, an empty one, or NAME set as well as NAME_FILE is
// a usage error naming the variable. One trailing newline is dropped
// (files written with echo have one; the value never does).
func readSecretFiles(env func(string) string) (map[string]string, error) {
	out := map[string]string{}
	for _, name := range SecretFileVars {
		path := env(name + FileSuffix)
		if path == "" {
			continue
		}
		if env(name) != "" {
			return nil, fault.Usagef("%s and %s are both set: give the secret one way", name, name+FileSuffix)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fault.Usagef("%s: %w", name+FileSuffix, err)
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			return nil, fault.Usagef("%s: file %s is empty", name+FileSuffix, path)
		}
		out[name] = v
	}
	return out, nil
}

// withSecretFiles returns env with the secrets read from files in
// place of their unset variables. When the process's own environment
// is in use (setProcess), they are set in it too, so that the cloud
// SDKs' credential chains, which read the process environment, see
// them.
func withSecretFiles(env func(string) string, files map[string]string, setProcess bool) (func(string) string, error) {
	if len(files) == 0 {
		return env, nil
	}
	if setProcess {
		for name, v := range files {
			if err := os.Setenv(name, v); err != nil {
				return nil, fault.Usagef("%s: %w", name+FileSuffix, err)
			}
		}
	}
	return func(name string) string {
		if v, ok := files[name]; ok {
			return v
		}
		return env(name)
	}, nil
}
