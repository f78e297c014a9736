package export

// The sources an export reads, by URL scheme (each registers itself with
// internal/source): adding a source is adding a package and a line here.
import (
	_ "github.com/lading-dev/lading/internal/source/cassandra"
	_ "github.com/lading-dev/lading/internal/source/dynamodb"
)
