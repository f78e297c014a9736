package main

import (
	"fmt"
	"os"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func main() {
	c := gocql.NewCluster(os.Args[1])
	s, err := c.CreateSession()
	if err != nil {
		panic(err)
	}
	for _, q := range os.Args[2:] {
		it := s.Query(q).Iter()
		cols := it.Columns()
		for {
			m := map[string]any{}
			if !it.MapScan(m) {
				break
			}
			for _, c := range cols {
				fmt.Printf("%s=%v ", c.Name, m[c.Name])
			}
			fmt.Println()
		}
		if err := it.Close(); err != nil {
			fmt.Println("ERR", q, err)
		}
	}
}
