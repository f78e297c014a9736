// Package redact keeps secrets out of messages. lading takes secrets only
// from the environment and the clouds' credential chains, but users put
// them in URLs and flags anyway, and a library may quote what it was
// given: every URL a user typed passes through URL before it is quoted in
// an error or a log line, and the commands pass everything they print
// through Text and a Secrets scrubber (internal/cli).
//
// The rules are general, not a list of lading's flags or parameters:
//   - a URL's user info (user and password) becomes "REDACTED@";
//   - a query parameter whose name says it carries a secret (SensitiveName)
//     has its value replaced by "REDACTED"; any other parameter's value is
//     redacted as text, so a URL inside it (an S3 endpoint with
//     credentials) loses its user info too; the fragment becomes "…";
//   - a value from the environment whose variable name says it is a secret
//     (CASSANDRA_PASSWORD, AWS_SECRET_ACCESS_KEY, AWS_ACCESS_KEY_ID, …) is
//     replaced by "[redacted]" wherever it appears (Secrets).
package redact

import (
	"net/url"
	"strings"
)

// Placeholders that stand in for what was removed.
const (
	// UserInfo replaces a URL's user info (before the "@").
	UserInfo = "REDACTED"
	// Param replaces the value of a sensitive query parameter.
	Param = "REDACTED"
	// Value replaces a secret value found anywhere in a text.
	Value = "[redacted]"
)

// sensitiveWords mark a name as carrying a secret wherever they appear in
// it, once case and separators are folded ("X-Amz-Credential",
// "AWS_SECRET_ACCESS_KEY", "upload_id").
var sensitiveWords = []string{
	"password", "passwd", "passphrase", "secret", "token", "credential",
	"signature", "apikey", "accesskey", "privatekey", "sessionkey",
	"uploadid", "auth",
}

// sensitiveSegments mark a name only as a word of its own, so that
// "keyspace", "keys" and "monkey" stay visible while "api-key", "sig" and
// "AWS_ACCESS_KEY_ID" do not.
var sensitiveSegments = map[string]bool{"key": true, "sig": true, "pw": true, "pwd": true, "pass": true, "sas": true}

// SensitiveName reports whether a flag, environment variable or URL
// parameter with this name carries a secret, judged by its words.
func SensitiveName(name string) bool {
	n := strings.ToLower(name)
	folded := strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' || r == ' ' {
			return -1
		}
		return r
	}, n)
	for _, w := range sensitiveWords {
		if strings.Contains(folded, w) {
			return true
		}
	}
	for _, seg := range strings.FieldsFunc(n, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	}) {
		if sensitiveSegments[seg] {
			return true
		}
	}
	return false
}

// URL renders a raw URL for a message by the package's rules. It works on
// text that does not parse as a URL too: without "://" only the query and
// fragment rules apply.
func URL(raw string) string {
	s, frag, hasFrag := strings.Cut(raw, "#")
	s, query, hasQuery := strings.Cut(s, "?")
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		end := strings.IndexByte(rest, '/')
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			s = s[:i+3] + UserInfo + "@" + rest[at+1:]
		}
	}
	if hasQuery {
		s += "?" + redactQuery(query)
	}
	if hasFrag && frag != "" {
		s += "#…"
	} else if hasFrag {
		s += "#"
	}
	return s
}

// redactQuery applies the parameter rules to a raw query, keeping its
// order and every parameter's name.
func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		name, val, hasVal := strings.Cut(p, "=")
		dname, err := url.QueryUnescape(name)
		if err != nil {
			dname = name
		}
		switch {
		case !hasVal:
			// A bare word may be the secret itself ("?hunter2").
			if p != "" && (SensitiveName(dname) || !looksLikeName(dname)) {
				parts[i] = Param
			}
		case SensitiveName(dname):
			parts[i] = name + "=" + Param
		default:
			dval, err := url.QueryUnescape(val)
			if err != nil {
				dval = val
			}
			if r := Text(dval); r != dval {
				parts[i] = name + "=" + r
			}
		}
	}
	return strings.Join(parts, "&")
}

// looksLikeName reports a short lower-case word such as a flag's name.
func looksLikeName(s string) bool {
	if len(s) > 24 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

// Text redacts every URL (a run of characters around "://") in free text
// by URL's rules, leaving the rest as it is. A URL ends at white space, a
// quote, a backslash or angle brackets, which covers URLs quoted in Go
// error messages and in text and JSON log lines.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		start := i
		for start > 0 && isSchemeChar(s[start-1]) {
			start--
		}
		end := i + 3
		for end < len(s) && !isURLEnd(s[end]) {
			end++
		}
		b.WriteString(s[:start])
		b.WriteString(URL(s[start:end]))
		s = s[end:]
	}
}

func isSchemeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

func isURLEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '"', '\'', '`', '\\', '<', '>':
		return true
	}
	return false
}
