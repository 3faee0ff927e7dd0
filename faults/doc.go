// Package faults holds fault-injection tests of the whole token path (engine,
// token cache, MQTT, panel guard and the agent binary); it has no
// non-test code.
//
// Each test breaks one thing a board meets in the field (the broker killed
// and restarted; the identity provider answering 500, 503, 429, garbage,
// nothing at all, or closing the connection; DNS failure; the network gone;
// SIGKILL during cache writes; a full disk; a panel failing on its bus; the
// wall clock jumping) and asserts the same four things: no crash, no lost
// refresh token, no stale token left retained on MQTT, and recovery when the
// fault ends. TestSoak runs thousands of refresh-and-publish cycles and
// checks that goroutines, open files, heap and cache writes stay flat; run it
// with -soak.cycles=10000 for the figures in docs/benchmarks.md.
//
// Timing is never asserted: short intervals, per-request timeouts and
// backoffs keep every test to seconds, natively and under qemu-user.
package faults
