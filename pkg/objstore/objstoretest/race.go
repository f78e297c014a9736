//go:build race

package objstoretest

const raceEnabled = true
