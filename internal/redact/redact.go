// Package redact keeps secrets out of messages: every URL a user typed
// passes through URL before it is quoted in an error or a log line.
package redact

import "strings"

// URL renders a raw URL for a message: user info becomes "REDACTED@" and
// the query and fragment are replaced by "…" (a user may have put a
// secret there). It works on text that does not parse as a URL too.
func URL(raw string) string {
	s := raw
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i] + s[i:i+1] + "…"
	}
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		return s[:i+3] + "REDACTED@" + rest[at+1:]
	}
	return s
}
