package snowflake

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/url"
	"os"
	"strconv"
	"strings"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/lading-dev/lading/internal/fault"
)

// Scheme is the URL scheme of the Snowflake target.
const Scheme = "snowflake"

// Environment variables that hold the credentials: never a URL or a flag.
const (
	EnvPassword       = "SNOWFLAKE_PASSWORD"
	EnvPrivateKeyPath = "SNOWFLAKE_PRIVATE_KEY_PATH"
)

const urlForm = "snowflake://USER@ACCOUNT/DATABASE/SCHEMA?warehouse=W&role=R"

// config is a parsed target URL. It holds no secret: those are read from
// the environment by connConfig, so a config can be printed.
type config struct {
	User, Account, Database, Schema string
	Warehouse, Role                 string
	// Load is "insert" (load=insert: array-bound INSERTs, no stage, for
	// small dumps; insertload.go) or "copy"/"" (COPY INTO from a stage).
	Load string
	// Host, Port and Protocol override where gosnowflake connects (a
	// stand-in in tests); empty/0 for Snowflake itself.
	Host     string
	Port     int
	Protocol string
}

// redactURL drops a password from a URL before it goes into an error.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if err != nil {
			return Scheme + "://…"
		}
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	return u.String()
}

// parseURL parses snowflake://USER@ACCOUNT/DATABASE/SCHEMA?warehouse=W&role=R
// (plus host, port and protocol for a stand-in). Every refusal is a usage
// error naming the URL, with any password redacted.
func parseURL(raw string) (*config, error) {
	shown := redactURL(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != Scheme {
		return nil, fault.Usagef("--to %s: want %s", shown, urlForm)
	}
	if u.User == nil || u.User.Username() == "" {
		return nil, fault.Usagef("--to %s: no user (want %s)", shown, urlForm)
	}
	if _, ok := u.User.Password(); ok {
		return nil, fault.Usagef("--to %s: a password in the URL is refused; set %s or %s", shown, EnvPassword, EnvPrivateKeyPath)
	}
	if u.Host == "" || u.Port() != "" {
		return nil, fault.Usagef("--to %s: want the account as the host, with no port (want %s)", shown, urlForm)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" || u.Fragment != "" {
		return nil, fault.Usagef("--to %s: want /DATABASE/SCHEMA as the path (want %s)", shown, urlForm)
	}
	c := &config{User: u.User.Username(), Account: u.Host, Database: parts[0], Schema: parts[1]}
	for k, v := range u.Query() {
		if len(v) != 1 {
			return nil, fault.Usagef("--to %s: %s given %d times", shown, k, len(v))
		}
		switch k {
		case "warehouse":
			c.Warehouse = v[0]
		case "role":
			c.Role = v[0]
		case "host":
			c.Host = v[0]
		case "port":
			p, err := strconv.Atoi(v[0])
			if err != nil || p < 1 || p > 65535 {
				return nil, fault.Usagef("--to %s: port %q: want 1 to 65535", shown, v[0])
			}
			c.Port = p
		case "protocol":
			if v[0] != "http" && v[0] != "https" {
				return nil, fault.Usagef("--to %s: protocol %q: want http or https", shown, v[0])
			}
			c.Protocol = v[0]
		case "load":
			if v[0] != LoadInsert && v[0] != "copy" {
				return nil, fault.Usagef("--to %s: load %q: want copy (the default) or insert", shown, v[0])
			}
			c.Load = v[0]
		default:
			return nil, fault.Usagef("--to %s: unknown parameter %q (known: warehouse, role, load, host, port, protocol)", shown, k)
		}
	}
	return c, nil
}

// connConfig is the gosnowflake configuration of c with the credentials
// from the environment (getenv): exactly one of SNOWFLAKE_PASSWORD and
// SNOWFLAKE_PRIVATE_KEY_PATH (an unencrypted PKCS#8 RSA key, PEM). Errors
// name the variable or the key file, never a secret.
func (c *config) connConfig(getenv func(string) string) (*sf.Config, error) {
	cfg := &sf.Config{
		Account: c.Account, User: c.User, Database: c.Database, Schema: c.Schema,
		Warehouse: c.Warehouse, Role: c.Role,
		Host: c.Host, Port: c.Port, Protocol: c.Protocol,
	}
	pw, keyPath := getenv(EnvPassword), getenv(EnvPrivateKeyPath)
	switch {
	case pw != "" && keyPath != "":
		return nil, fault.Usagef("both %s and %s are set: set one", EnvPassword, EnvPrivateKeyPath)
	case pw != "":
		cfg.Password = pw
	case keyPath != "":
		key, err := readKey(keyPath)
		if err != nil {
			return nil, err
		}
		cfg.Authenticator = sf.AuthTypeJwt
		cfg.PrivateKey = key
	default:
		return nil, fault.Usagef("no Snowflake credentials: set %s or %s", EnvPassword, EnvPrivateKeyPath)
	}
	return cfg, nil
}

func readKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fault.Usagef("%s: %v", EnvPrivateKeyPath, err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fault.Usagef("%s %s: not a PEM file", EnvPrivateKeyPath, path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fault.Usagef("%s %s: not an unencrypted PKCS#8 private key", EnvPrivateKeyPath, path)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fault.Usagef("%s %s: not an RSA key (Snowflake key-pair authentication takes RSA)", EnvPrivateKeyPath, path)
	}
	return rk, nil
}
