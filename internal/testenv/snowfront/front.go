// Package snowfront is the front of the Snowflake stand-in: an HTTP
// server speaking the part of Snowflake's protocol gosnowflake uses,
// placed in front of fakesnow. It answers itself the statements fakesnow
// cannot run — CREATE STAGE (internal, or external over s3:// and gcs://
// URLs mapped to the local test servers), LIST, PUT, COPY INTO with a
// transformation query and ALTER TABLE … SWAP WITH — and passes every
// other request through.
//
// COPY INTO reads the staged parts with lading's own pkg/objstore and
// part reader, and evaluates the COPY's transformation by running its
// expressions in fakesnow over the parts' lines (PARSE_JSON of each line
// as the row's $1), so the conversions are fakesnow's, not the front's.
// What is emulated, and how, is listed in the Snowflake target's
// README.md.
package snowfront

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	sf "github.com/snowflakedb/gosnowflake"
)

// Options configure a front.
type Options struct {
	// Listen is the address to listen on ("127.0.0.1:0" when empty).
	Listen string
	// Upstream is fakesnow's host:port.
	Upstream string
	// Dir keeps the internal stages' files (a temporary directory when
	// empty, removed by Close).
	Dir string
	// S3Endpoint is the endpoint of the S3 server an external stage's
	// s3:// URL is read from (gcs:// URLs go to the GCS server that
	// STORAGE_EMULATOR_HOST names).
	S3Endpoint string
	// BeforeCopyLands, when set, is called by every COPY after it has
	// read its files and before its rows land in table (DB.SCHEMA.TABLE,
	// folded); an error fails the COPY. Tests use it to hold a COPY
	// whose client is killed.
	BeforeCopyLands func(ctx context.Context, table string) error
}

// Front is a running front.
type Front struct {
	opts   Options
	ln     net.Listener
	srv    *http.Server
	proxy  *httputil.ReverseProxy
	db     *sql.DB // the front's own session in fakesnow
	ownDir bool

	mu      sync.Mutex
	stages  map[string]*stage
	seq     int
	tags    map[string]string            // QUERY_TAG by session token
	running map[string]*runningStatement // by query id (detached.go)
	// kinds counts the statements received by their first word.
	kinds map[string]int
}

// Start starts a front in front of opts.Upstream.
func Start(opts Options) (*Front, error) {
	host, portText, err := net.SplitHostPort(opts.Upstream)
	if err != nil {
		return nil, fmt.Errorf("snowfront: upstream %q: %w", opts.Upstream, err)
	}
	port, _ := strconv.Atoi(portText)
	f := &Front{opts: opts, stages: map[string]*stage{}, tags: map[string]string{}, running: map[string]*runningStatement{}, kinds: map[string]int{}}
	if f.opts.Dir == "" {
		if f.opts.Dir, err = os.MkdirTemp("", "snowfront-"); err != nil {
			return nil, err
		}
		f.ownDir = true
	}
	up := &url.URL{Scheme: "http", Host: opts.Upstream}
	f.proxy = httputil.NewSingleHostReverseProxy(up)
	f.db = sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, sf.Config{
		Account: "snowfront", User: "snowfront", Password: "snowfront",
		Host: host, Port: port, Protocol: "http",
	}))
	f.db.SetMaxOpenConns(4)
	listen := opts.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	if f.ln, err = net.Listen("tcp", listen); err != nil {
		f.db.Close()
		return nil, err
	}
	f.srv = &http.Server{Handler: f}
	go f.srv.Serve(f.ln)
	return f, nil
}

// Addr is the front's host:port.
func (f *Front) Addr() string { return f.ln.Addr().String() }

// Close stops the front.
func (f *Front) Close() {
	f.srv.Close()
	f.db.Close()
	if f.ownDir {
		os.RemoveAll(f.opts.Dir)
	}
}

// ServeHTTP answers the statements the front emulates and passes every
// other request to fakesnow.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/queries/v1/query-request" {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body := raw
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err == nil {
				body, err = io.ReadAll(zr)
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
		}
		var req struct {
			SQLText string `json:"sqlText"`
		}
		if err := json.Unmarshal(body, &req); err == nil {
			f.count(req.SQLText)
			// The statement runs to its end even when the client goes
			// away, as a statement sent to Snowflake does.
			if resp, ok := f.answer(context.WithoutCancel(r.Context()), sessionToken(r), req.SQLText); ok {
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(resp)
				return
			}
		}
		if changed, ok := unenforced(body, req.SQLText); ok {
			raw = changed
			r.Header.Del("Content-Encoding")
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		r.ContentLength = int64(len(raw))
	}
	f.proxy.ServeHTTP(w, r)
}

// count counts a statement under its first word, upper case.
func (f *Front) count(q string) {
	word, _, _ := strings.Cut(strings.TrimSpace(q), " ")
	f.mu.Lock()
	f.kinds[strings.ToUpper(word)]++
	f.mu.Unlock()
}

// Statements is how many statements starting with word (COPY, MERGE,
// …) the front has received, passed through or answered.
func (f *Front) Statements(word string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.kinds[strings.ToUpper(word)]
}

// answer runs a statement the front emulates; ok is false for every
// other statement.
func (f *Front) answer(ctx context.Context, token, q string) (resp map[string]any, ok bool) {
	var err error
	var res *result
	switch {
	case createStageRE.MatchString(q):
		res, err = f.createStage(q)
	case listRE.MatchString(q):
		res, err = f.list(ctx, q)
	case putRE.MatchString(q):
		return f.put(q)
	case copyRE.MatchString(q):
		ctx, done := f.track(ctx, token)
		defer done()
		res, err = f.copyInto(ctx, q)
	case queryTagRE.MatchString(q):
		res = f.setQueryTag(token, queryTagRE.FindStringSubmatch(q)[1])
	case historyRE.MatchString(q):
		res = f.history(historyRE.FindStringSubmatch(q)[1])
	case cancelRE.MatchString(q):
		res = f.cancelQuery(cancelRE.FindStringSubmatch(q)[1])
	case swapRE.MatchString(q):
		res, err = f.swap(ctx, q)
	default:
		return nil, false
	}
	if err != nil {
		return errorResponse(err), true
	}
	return res.response(), true
}

// result is a statement's result set, sent as Snowflake's JSON rowset.
type result struct {
	cols   []column
	rows   [][]*string
	typeID int64
}

type column struct {
	name  string
	fixed bool
}

func (r *result) response() map[string]any {
	rowtype := make([]map[string]any, len(r.cols))
	for i, c := range r.cols {
		t := map[string]any{"name": c.name, "type": "text", "nullable": true, "length": 16777216, "byteLength": 16777216}
		if c.fixed {
			t = map[string]any{"name": c.name, "type": "fixed", "nullable": true, "precision": 19, "scale": 0}
		}
		rowtype[i] = t
	}
	rows := r.rows
	if rows == nil {
		rows = [][]*string{}
	}
	return map[string]any{
		"data": map[string]any{
			"parameters":        []any{map[string]any{"name": "TIMEZONE", "value": "Etc/UTC"}},
			"rowtype":           rowtype,
			"rowset":            rows,
			"total":             len(rows),
			"returned":          len(rows),
			"queryId":           queryID(),
			"statementTypeId":   r.typeID,
			"queryResultFormat": "json",
		},
		"success": true,
	}
}

// sqlError is a statement error with Snowflake's code and SQL state.
type sqlError struct {
	code, state, msg string
}

func (e *sqlError) Error() string { return e.msg }

func errorResponse(err error) map[string]any {
	e, ok := err.(*sqlError)
	if !ok {
		e = &sqlError{code: "002003", state: "02000", msg: err.Error()}
	}
	return map[string]any{
		"data":    map[string]any{"errorCode": e.code, "sqlState": e.state, "queryId": queryID()},
		"code":    e.code,
		"message": e.msg,
		"success": false,
	}
}

func queryID() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func str(s string) *string { return &s }

func num(n int64) *string { return str(strconv.FormatInt(n, 10)) }

// stageDir is where an internal stage keeps its files.
func (f *Front) stageDir() string {
	f.seq++
	return filepath.Join(f.opts.Dir, fmt.Sprintf("stage-%d", f.seq))
}

// statusRow is the one-column result of a DDL statement.
func statusRow(msg string) *result {
	return &result{cols: []column{{name: "status"}}, rows: [][]*string{{str(msg)}}, typeID: 0x6000}
}

// upper is how Snowflake folds an unquoted identifier.
var upper = strings.ToUpper
