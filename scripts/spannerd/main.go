// Command spannerd runs cloud.google.com/go/spanner/spannertest, the
// in-memory fake of Cloud Spanner, as a gRPC server process, so that the
// loader and its tests reach it through SPANNER_EMULATOR_HOST exactly as
// they would reach the official emulator. scripts/services.sh starts it.
//
//	spannerd -addr 127.0.0.1:9010
//
// spannertest holds one database whatever the request names (every
// projects/P/instances/I/databases/D is the same one), keeps it in memory
// (a restart empties it), and has no commit limits, aborts, NUMERIC, JSON
// or FLOAT32 values: see internal/load/targets/spanner/README.md for what
// the loader's tests cover instead.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"

	"cloud.google.com/go/spanner/spannertest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9010", "listen address")
	verbose := flag.Bool("v", false, "log every request")
	flag.Parse()
	srv, err := spannertest.NewServer(*addr)
	if err != nil {
		log.Fatalf("spannerd: %v", err)
	}
	if !*verbose {
		srv.SetLogger(func(string, ...any) {})
	}
	log.Printf("spannerd: spannertest listening on %s", srv.Addr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	srv.Close()
}
