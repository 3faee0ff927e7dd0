package mqtt

import "time"

// reconnectDelay is the wait before reconnect attempt n (0 for the first
// retry). It doubles from min per attempt and stops at max, so a board whose
// broker is gone for a day tries about every max, not thousands of times an
// hour. The result is drawn from [d/2, d] ("equal jitter"): a fleet of
// boards that lost the same broker at once does not come back in lockstep,
// and no wait is shorter than half the nominal one. rnd returns [0, 1).
func reconnectDelay(n int, min, max time.Duration, rnd func() float64) time.Duration {
	d := min
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + time.Duration(rnd()*float64(d-half))
}
