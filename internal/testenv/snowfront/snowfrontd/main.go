// Command snowfrontd runs the Snowflake stand-in's front
// (internal/testenv/snowfront) before a running fakesnow, for the demo:
// `snowfrontd -upstream HOST:PORT -addr-file F` serves until killed and
// writes its address to F; `snowfrontd -connect ADDR -query SQL` runs one
// statement through a front with gosnowflake and prints the rows, tab
// separated.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	sf "github.com/snowflakedb/gosnowflake"

	"github.com/lading-dev/lading/internal/testenv/snowfront"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	upstream := flag.String("upstream", "", "fakesnow's `HOST:PORT`")
	s3 := flag.String("s3-endpoint", "", "endpoint `URL` of the S3 server that external stages' s3:// URLs are read from")
	addrFile := flag.String("addr-file", "", "write the address served on to this `FILE`")
	connect := flag.String("connect", "", "instead of serving: run -query through the front at `HOST:PORT`")
	query := flag.String("query", "", "the `SQL` statement -connect runs")
	flag.Parse()
	sf.GetLogger().SetLogLevel("fatal")
	if *connect != "" {
		if err := run(*connect, *query); err != nil {
			fmt.Fprintln(os.Stderr, "snowfrontd:", err)
			os.Exit(1)
		}
		return
	}
	if *upstream == "" {
		fmt.Fprintln(os.Stderr, "snowfrontd: -upstream HOST:PORT is required")
		os.Exit(2)
	}
	f, err := snowfront.Start(snowfront.Options{Listen: *listen, Upstream: *upstream, S3Endpoint: *s3})
	if err != nil {
		fmt.Fprintln(os.Stderr, "snowfrontd:", err)
		os.Exit(1)
	}
	defer f.Close()
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(f.Addr()+"\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "snowfrontd:", err)
			os.Exit(1)
		}
	}
	fmt.Fprintln(os.Stderr, "snowfrontd: serving on", f.Addr(), "before", *upstream)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}

// run runs one statement through the front and prints its rows.
func run(addr, q string) error {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	port, _ := strconv.Atoi(portText)
	db := sql.OpenDB(sf.NewConnector(sf.SnowflakeDriver{}, sf.Config{Account: "demo", User: "demo", Password: "demo", Host: host, Port: port, Protocol: "http"}))
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = v.String
			if !v.Valid {
				out[i] = "NULL"
			}
		}
		fmt.Println(strings.Join(out, "\t"))
	}
	return rows.Err()
}
