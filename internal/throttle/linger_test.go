package throttle

import "testing"

// TestLingerNearTheLevelThatHurt: with Linger 4, after a decrease from 8
// to 4 the climb takes one healthy decision a step up to 5, then four a
// step for the steps that land on 6 (three quarters of 8) to 9 (the
// first past 8), and one a step again after it; without Linger every
// step takes one. From 2 down to 1, the steps back to 2 and on to 3
// linger.
func TestLingerNearTheLevelThatHurt(t *testing.T) {
	for _, tc := range []struct {
		linger int
		want   []int // the limit after each healthy decision
	}{
		{4, []int{5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 9, 10}},
		{0, []int{5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 16, 16, 16, 16, 16, 16}},
	} {
		c, _, _ := newTest(Config{Min: 1, Max: 16, Initial: 8, DecideEvery: 10, TargetLatency: 100 * ms, Linger: tc.linger})
		feed(t, c, 10, 10*ms, Overloaded)
		if c.Limit() != 4 {
			t.Fatalf("linger %d: limit %d after overload, want 4", tc.linger, c.Limit())
		}
		for i, want := range tc.want {
			feed(t, c, 10, 10*ms, OK)
			if c.Limit() != want {
				t.Fatalf("linger %d, healthy decision %d: limit %d, want %d (all: %v)", tc.linger, i+1, c.Limit(), want, tc.want)
			}
		}
	}
	c, _, _ := newTest(Config{Min: 1, Max: 16, Initial: 2, DecideEvery: 10, TargetLatency: 100 * ms, Linger: 4})
	feed(t, c, 10, 10*ms, Overloaded)
	for i, want := range []int{1, 1, 1, 2, 2, 2, 2, 3, 4} {
		feed(t, c, 10, 10*ms, OK)
		if c.Limit() != want {
			t.Fatalf("from 2 down to 1, healthy decision %d: limit %d, want %d", i+1, c.Limit(), want)
		}
	}
}

// TestLingerWhilePacing: the level that hurt may be a duty: after a
// decrease from duty 1/2 to 1/4 the duty climbs by 1/16 a healthy
// decision to 5/16, then by 1/16 every 2 (Linger 2) to 9/16, past 1/2,
// then by 1/16 a decision again.
func TestLingerWhilePacing(t *testing.T) {
	c, _, _ := newTest(Config{Min: 1, Max: 4, Initial: 1, MinDuty: 1.0 / 16, Linger: 2})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.decreaseLocked("test") // duty 1/2
	c.decreaseLocked("test") // duty 1/4; the level that hurt: 1/2
	for i, w := range []float64{5, 5, 6, 6, 7, 7, 8, 8, 9, 10} {
		c.increaseLocked("test")
		if c.duty != w/16 {
			t.Fatalf("healthy decision %d: duty %v, want %v/16", i+1, c.duty, w)
		}
	}
}
