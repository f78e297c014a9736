package bigtable

import (
	mrand1 "math/rand"
	"math/rand/v2"
)

type mrand = mrand1.Rand

func newMrand(r *rand.Rand) *mrand { return mrand1.New(mrand1.NewSource(int64(r.Uint64()))) }
