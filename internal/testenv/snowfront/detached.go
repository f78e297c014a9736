package snowfront

import (
	"context"
	"net/http"
	"regexp"
	"strings"
)

// Snowflake runs a statement to its end after its client has gone (a
// loader killed with SIGKILL): with ABORT_DETACHED_QUERY at its default,
// FALSE, a detached COPY still lands its rows, possibly after a re-run of
// the loader has loaded the same parts. The front does the same
// (ServeHTTP), and answers what a re-run uses to find and cancel such
// statements: the session's QUERY_TAG, the running statements of
// INFORMATION_SCHEMA.QUERY_HISTORY with a given tag, and
// SYSTEM$CANCEL_QUERY. Only the statements the front answers itself
// (COPY) are tracked; those passed to fakesnow are not.

var (
	queryTagRE = regexp.MustCompile(`(?is)^\s*ALTER\s+SESSION\s+SET\s+QUERY_TAG\s*=\s*'([^']*)'\s*;?\s*$`)
	historyRE  = regexp.MustCompile(`(?is)^\s*SELECT\s+QUERY_ID\s+FROM\s+TABLE\s*\(.*\bQUERY_HISTORY\s*\(.*\)\s*\)\s+WHERE\s+QUERY_TAG\s*=\s*'([^']*)'`)
	cancelRE   = regexp.MustCompile(`(?is)^\s*SELECT\s+SYSTEM\$CANCEL_QUERY\s*\(\s*'([^']*)'\s*\)\s*;?\s*$`)
)

// runningStatement is a statement the front is running for a session.
type runningStatement struct {
	tag    string
	cancel context.CancelFunc
}

// sessionToken is the session a request belongs to, as gosnowflake
// names it in its Authorization header.
func sessionToken(r *http.Request) string {
	_, tok, _ := strings.Cut(r.Header.Get("Authorization"), "Token=")
	return strings.Trim(tok, `"`)
}

// setQueryTag records the session's QUERY_TAG.
func (f *Front) setQueryTag(token, tag string) *result {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tags[token] = tag
	return statusRow("Statement executed successfully.")
}

// track registers a statement of the session under a new query id, with
// the session's tag; the context is cancelled by SYSTEM$CANCEL_QUERY.
// done removes it.
func (f *Front) track(ctx context.Context, token string) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	id := queryID()
	f.mu.Lock()
	f.running[id] = &runningStatement{tag: f.tags[token], cancel: cancel}
	f.mu.Unlock()
	return ctx, func() {
		f.mu.Lock()
		delete(f.running, id)
		f.mu.Unlock()
		cancel()
	}
}

// Running is how many statements the front is running (tracked ones:
// COPY), whether or not their clients are still there.
func (f *Front) Running() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.running)
}

// history lists the ids of the running statements tagged tag, as
// QUERY_HISTORY filtered on QUERY_TAG and a running status does.
func (f *Front) history(tag string) *result {
	res := &result{cols: []column{{name: "QUERY_ID"}}, typeID: 0x1000}
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, s := range f.running {
		if tag != "" && s.tag == tag {
			res.rows = append(res.rows, []*string{str(id)})
		}
	}
	return res
}

// cancelQuery cancels a running statement, as SYSTEM$CANCEL_QUERY does:
// it stops before its rows land.
func (f *Front) cancelQuery(id string) *result {
	f.mu.Lock()
	s := f.running[id]
	f.mu.Unlock()
	msg := "Identified SQL statement is not currently executing."
	if s != nil {
		s.cancel()
		msg = "query [" + id + "] terminated."
	}
	return &result{cols: []column{{name: "SYSTEM$CANCEL_QUERY"}}, rows: [][]*string{{str(msg)}}, typeID: 0x1000}
}

// canceled is Snowflake's error for a statement cancelled while it ran.
func canceled() error {
	return &sqlError{code: "000604", state: "57014", msg: "SQL execution canceled"}
}
