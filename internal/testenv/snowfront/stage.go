package snowfront

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/lading-dev/lading/pkg/objstore"
)

// ident matches a possibly qualified identifier, each part quoted or not.
const ident = `(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)){0,2}`

var (
	createStageRE = regexp.MustCompile(`(?is)^\s*CREATE\s+(OR\s+REPLACE\s+)?(?:(TEMP|TEMPORARY)\s+)?STAGE\s+(IF\s+NOT\s+EXISTS\s+)?(` + ident + `)(.*)$`)
	stageURLRE    = regexp.MustCompile(`(?is)\bURL\s*=\s*'([^']*)'`)
	listRE        = regexp.MustCompile(`(?is)^\s*(?:LIST|LS)\s+@(` + ident + `)(/[^\s;]*)?\s*;?\s*$`)
	putRE         = regexp.MustCompile(`(?is)^\s*PUT\s+'file://([^']+)'\s+@(` + ident + `)(/[^\s;]*)?(.*)$`)
	identPartRE   = regexp.MustCompile(`"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*`)
)

// stage is a stage the front holds: internal (files in dir) or external
// (url, s3:// or gcs://).
type stage struct {
	name string // as Snowflake shows it: its last part, lower case for internal stages
	dir  string
	url  string
}

// stageKey folds a qualified identifier the way Snowflake resolves it:
// quoted parts as written, unquoted ones upper case.
func stageKey(id string) string {
	parts := identPartRE.FindAllString(id, -1)
	for i, p := range parts {
		if strings.HasPrefix(p, `"`) {
			parts[i] = strings.ReplaceAll(p[1:len(p)-1], `""`, `"`)
		} else {
			parts[i] = upper(p)
		}
	}
	return strings.Join(parts, ".")
}

func (f *Front) createStage(q string) (*result, error) {
	m := createStageRE.FindStringSubmatch(q)
	replace, temp, ifNotExists, key := m[1] != "", m[2] != "", m[3] != "", stageKey(m[4])
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, exists := f.stages[key]; exists && !replace {
		if ifNotExists {
			return statusRow(key + " already exists, statement succeeded."), nil
		}
		return nil, &sqlError{code: "002002", state: "42710", msg: fmt.Sprintf("SQL compilation error:\nObject '%s' already exists.", key)}
	}
	parts := strings.Split(key, ".")
	st := &stage{name: parts[len(parts)-1]}
	if u := stageURLRE.FindStringSubmatch(m[5]); u != nil {
		if !strings.HasPrefix(u[1], "s3://") && !strings.HasPrefix(u[1], "gcs://") {
			return nil, &sqlError{code: "001008", state: "22023", msg: fmt.Sprintf("invalid URL %q: the stand-in's external stages take s3:// and gcs://", u[1])}
		}
		st.url = u[1]
	} else {
		st.name = strings.ToLower(st.name)
		st.dir = f.stageDir()
		if err := os.MkdirAll(st.dir, 0o755); err != nil {
			return nil, err
		}
	}
	_ = temp // temporary stages live as long as the front: the front keeps no session state
	f.stages[key] = st
	return statusRow(fmt.Sprintf("Stage area %s successfully created.", parts[len(parts)-1])), nil
}

// stageOf returns a stage by its identifier, or Snowflake's error.
func (f *Front) stageOf(id string) (*stage, error) {
	key := stageKey(id)
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.stages[key]
	if !ok {
		return nil, &sqlError{code: "002003", state: "02000", msg: fmt.Sprintf("SQL compilation error:\nStage '%s' does not exist or not authorized.", key)}
	}
	return st, nil
}

// open opens the store a stage's files are in, scoped to the stage (and
// to sub, a path below it).
func (f *Front) open(ctx context.Context, st *stage, sub string) (*objstore.Bucket, error) {
	sub = strings.Trim(sub, "/")
	if st.dir != "" {
		return objstore.Open(ctx, "file://"+path.Join(st.dir, sub))
	}
	u := st.url
	switch {
	case strings.HasPrefix(u, "s3://"):
		u = strings.TrimSuffix(u, "/")
		if sub != "" {
			u += "/" + sub
		}
		if f.opts.S3Endpoint != "" {
			u += "?endpoint=" + url.QueryEscape(f.opts.S3Endpoint)
		}
	case strings.HasPrefix(u, "gcs://"):
		u = "gs://" + strings.TrimSuffix(strings.TrimPrefix(u, "gcs://"), "/")
		if sub != "" {
			u += "/" + sub
		}
	}
	return objstore.Open(ctx, u)
}

// fileName is a staged file's name as LIST and COPY show it.
func (st *stage) fileName(key string) string {
	if st.dir != "" {
		return st.name + "/" + key
	}
	return strings.TrimSuffix(st.url, "/") + "/" + key
}

// list answers LIST @stage: name, size, md5, last_modified.
func (f *Front) list(ctx context.Context, q string) (*result, error) {
	m := listRE.FindStringSubmatch(q)
	st, err := f.stageOf(m[1])
	if err != nil {
		return nil, err
	}
	b, err := f.open(ctx, st, m[2])
	if err != nil {
		return nil, err
	}
	defer b.Close()
	objs, _, err := b.ListAll(ctx, "", "")
	if err != nil {
		return nil, err
	}
	res := &result{cols: []column{{name: "name"}, {name: "size", fixed: true}, {name: "md5"}, {name: "last_modified"}}, typeID: 0x4000}
	for _, o := range objs {
		key := strings.TrimPrefix(path.Join(strings.Trim(m[2], "/"), o.Key), "/")
		res.rows = append(res.rows, []*string{str(st.fileName(key)), num(o.Size), nil, nil})
	}
	return res, nil
}

// put answers PUT 'file://…' @stage the way Snowflake answers it for a
// stage on the local file system (LOCAL_FS): gosnowflake then copies the
// file into the stage's directory itself, as given (no compression: the
// parts are compressed already).
func (f *Front) put(q string) (map[string]any, bool) {
	m := putRE.FindStringSubmatch(q)
	st, err := f.stageOf(m[2])
	if err == nil && st.dir == "" {
		err = &sqlError{code: "001008", state: "22023", msg: "PUT to an external stage is not supported"}
	}
	if err != nil {
		return errorResponse(err), true
	}
	dir := path.Join(st.dir, strings.Trim(m[3], "/"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errorResponse(err), true
	}
	return map[string]any{
		"data": map[string]any{
			"command":           "UPLOAD",
			"src_locations":     []string{m[1]},
			"parallel":          1,
			"autoCompress":      false,
			"overwrite":         strings.Contains(strings.ToUpper(m[4]), "OVERWRITE = TRUE") || strings.Contains(strings.ToUpper(m[4]), "OVERWRITE=TRUE"),
			"sourceCompression": "none",
			"stageInfo":         map[string]any{"locationType": "LOCAL_FS", "location": dir + "/"},
			"queryId":           queryID(),
		},
		"success": true,
	}, true
}
