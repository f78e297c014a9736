//go:build !race

package objstoretest

const raceEnabled = false
