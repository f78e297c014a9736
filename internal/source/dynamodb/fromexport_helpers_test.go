package dynamodb_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/objstore"
	"github.com/lading-dev/lading/pkg/objstore/objstoretest"
)

// exportTime is the point in time of the exports the tests build.
var exportTime = time.Date(2026, 11, 22, 15, 45, 30, 123e6, time.UTC)

// nativeExport is a DynamoDB "Export to S3" built by hand in the S3
// server, laid out as AWS documents it:
// <prefix>/AWSDynamoDB/<id>/manifest-summary.json, manifest-files.json
// and data/<name>.json.gz.
type nativeExport struct {
	URL     string           // --from-export
	Dir     *objstore.Bucket // the export's directory
	ARN     string
	Summary map[string]any
	Files   []map[string]any // manifest-files.json's lines
}

// buildExport exports the table's items (as the emulator returns them)
// into files data files, plus one empty one (AWS writes an empty file
// for an empty partition).
func buildExport(t testing.TB, c *ddb.Client, table string, files int) *nativeExport {
	t.Helper()
	desc, err := c.DescribeTable(context.Background(), &ddb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	return writeExport(t, aws.ToString(desc.Table.TableArn), aws.ToString(desc.Table.TableId), tableItems(t, c, table), files)
}

// writeExport writes an export of items, as of exportTime, of the table
// tableArn names.
func writeExport(t testing.TB, tableArn, tableID string, items []format.DynamoItem, files int) *nativeExport {
	t.Helper()
	endpoint, bucket := testenv.S3(t)
	prefix := fmt.Sprintf("dynamodb-export-test/%08x", rand.Uint32())
	id := fmt.Sprintf("%014d-%08x", exportTime.UnixMilli(), rand.Uint32())
	dir := prefix + "/AWSDynamoDB/" + id
	x := &nativeExport{URL: fmt.Sprintf("s3://%s/%s/?endpoint=%s&region=us-east-1", bucket, dir, url.QueryEscape(endpoint))}
	x.Dir = openRoot(t, x.URL)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = objstoretest.Empty(ctx, x.Dir)
	})
	x.ARN = tableArn + "/export/" + id
	chunks := make([][]format.DynamoItem, files+1)
	for i, it := range items {
		chunks[i%files] = append(chunks[i%files], it)
	}
	for i, chunk := range chunks {
		name := fmt.Sprintf("data/%08x%02d.json.gz", rand.Uint32(), i)
		var raw []byte
		if len(chunk) > 0 {
			raw = gzipLines(t, chunk)
		}
		put(t, x.Dir, name, raw)
		sum := md5.Sum(raw)
		x.Files = append(x.Files, map[string]any{
			"itemCount": len(chunk), "md5Checksum": base64.StdEncoding.EncodeToString(sum[:]),
			"etag": fmt.Sprintf("%x-1", sum), "dataFileS3Key": dir + "/" + name,
		})
	}
	x.Summary = map[string]any{
		"version": "2020-06-30", "exportArn": x.ARN,
		"startTime": exportTime.Format(time.RFC3339Nano), "endTime": exportTime.Add(5 * time.Minute).Format(time.RFC3339Nano),
		"tableArn": tableArn, "tableId": tableID, "exportTime": exportTime.Format(time.RFC3339Nano),
		"s3Bucket": bucket, "s3Prefix": prefix, "s3SseAlgorithm": "AES256", "s3SseKmsKeyId": nil,
		"manifestFilesS3Key": dir + "/manifest-files.json", "billedSizeBytes": 0, "itemCount": len(items),
		"outputFormat": "DYNAMODB_JSON", "exportType": "FULL_EXPORT",
	}
	x.writeManifests(t)
	return x
}

// writeManifests (re)writes manifest-files.json and
// manifest-summary.json from Files and Summary.
func (x *nativeExport) writeManifests(t testing.TB) {
	t.Helper()
	var lines bytes.Buffer
	for _, f := range x.Files {
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		lines.Write(append(b, '\n'))
	}
	put(t, x.Dir, "manifest-files.json", lines.Bytes())
	b, err := json.Marshal(x.Summary)
	if err != nil {
		t.Fatal(err)
	}
	put(t, x.Dir, "manifest-summary.json", b)
}

// dataFile is the key of data file i in the export's directory.
func (x *nativeExport) dataFile(i int) string {
	k := x.Files[i]["dataFileS3Key"].(string)
	return k[strings.Index(k, "/data/")+1:]
}

func put(t testing.TB, b *objstore.Bucket, key string, data []byte) {
	t.Helper()
	if _, err := b.WriteAll(context.Background(), key, data, nil); err != nil {
		t.Fatal(err)
	}
}

// gzipLines writes items as an export's data file: {"Item":{…}} a line
// in DynamoDB JSON, gzipped.
func gzipLines(t testing.TB, items []format.DynamoItem) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	for _, it := range items {
		b, err := json.Marshal(map[string]any{"Item": dynamoJSONMap(it)})
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(append(b, '\n'))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func dynamoJSONMap(m map[string]format.DynamoValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = dynamoJSON(v)
	}
	return out
}

// dynamoJSON is one value in DynamoDB JSON (encoding/json writes []byte
// as standard base64, as DynamoDB does).
func dynamoJSON(v format.DynamoValue) map[string]any {
	var x any
	switch v.Kind {
	case format.DynamoS, format.DynamoN:
		x = v.S
	case format.DynamoB:
		x = v.B
	case format.DynamoBOOL:
		x = v.Bool
	case format.DynamoNULL:
		x = true
	case format.DynamoSS, format.DynamoNS:
		x = v.Set
	case format.DynamoBS:
		x = v.BSet
	case format.DynamoL:
		l := make([]any, len(v.L))
		for i, e := range v.L {
			l[i] = dynamoJSON(e)
		}
		x = l
	case format.DynamoM:
		x = dynamoJSONMap(v.M)
	}
	return map[string]any{string(v.Kind): x}
}
