package board

import (
	"context"
	"reflect"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// stepClock hands out the times a test sends, one per call: the button
// loop reads the clock exactly once per sample, so each sample is paired
// with the time the test chose for it.
type stepClock chan time.Time

func (c stepClock) Now() time.Time { return <-c }

// doneClock is a stepClock that stops blocking once done is closed.
type doneClock struct {
	c    chan time.Time
	done <-chan struct{}
}

func (d doneClock) Now() time.Time {
	select {
	case t := <-d.c:
		return t
	case <-d.done:
		return time.Time{}
	}
}

type sample struct {
	level gpio.Level
	at    time.Duration
}

func TestButton(t *testing.T) {
	const H, L = gpio.High, gpio.Low
	ms := time.Millisecond
	short, long := Press{Long: false}, Press{Long: true}
	for _, tc := range []struct {
		name    string
		cfg     ButtonConfig
		samples []sample
		want    []Press
	}{
		{"short press", ButtonConfig{}, []sample{
			{H, 0}, {L, 1000 * ms}, {L, 1040 * ms}, {H, 1200 * ms}, {H, 1240 * ms},
		}, []Press{short}},
		{"release not yet stable", ButtonConfig{}, []sample{
			{H, 0}, {L, 1000 * ms}, {L, 1040 * ms}, {H, 1200 * ms}, {H, 1210 * ms},
		}, nil},
		{"bounce shorter than debounce", ButtonConfig{}, []sample{
			{H, 0}, {L, 1000 * ms}, {H, 1010 * ms}, {L, 1015 * ms}, {H, 1020 * ms}, {H, 1500 * ms},
		}, nil},
		{"bouncy press and release count once", ButtonConfig{}, []sample{
			{H, 0}, {L, 100 * ms}, {H, 102 * ms}, {L, 104 * ms}, {L, 200 * ms},
			{H, 400 * ms}, {L, 402 * ms}, {H, 405 * ms}, {H, 500 * ms},
		}, []Press{short}},
		{"long press fires while held", ButtonConfig{}, []sample{
			{H, 0}, {L, 1000 * ms}, {L, 1040 * ms}, {L, 3999 * ms}, {L, 4000 * ms}, {L, 6000 * ms}, {H, 6100 * ms}, {H, 6200 * ms},
		}, []Press{long}},
		{"just under long is short", ButtonConfig{}, []sample{
			{H, 0}, {L, 1000 * ms}, {L, 1100 * ms}, {H, 3990 * ms}, {H, 4100 * ms},
		}, []Press{short}},
		{"configured long press", ButtonConfig{LongPress: time.Second}, []sample{
			{H, 0}, {L, 0 * ms}, {L, 500 * ms}, {L, 1000 * ms}, {H, 1100 * ms}, {H, 1200 * ms},
		}, []Press{long}},
		{"held at start is not a press", ButtonConfig{}, []sample{
			{L, 0}, {L, 5000 * ms}, {H, 5100 * ms}, {H, 5200 * ms},
		}, nil},
		{"two presses", ButtonConfig{}, []sample{
			{H, 0}, {L, 100 * ms}, {L, 200 * ms}, {H, 300 * ms}, {H, 400 * ms},
			{L, 500 * ms}, {L, 600 * ms}, {L, 3600 * ms}, {H, 3700 * ms}, {H, 3800 * ms},
		}, []Press{short, long}},
		{"active high", ButtonConfig{ActiveHigh: true}, []sample{
			{L, 0}, {H, 100 * ms}, {H, 200 * ms}, {L, 300 * ms}, {L, 400 * ms},
		}, []Press{short}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pin := &gpiotest.Pin{N: "GPIO27", EdgesChan: make(chan gpio.Level)}
			clk := make(stepClock)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// poll -1: the loop wakes only on the edges the test sends.
			presses, err := watchButton(ctx, pin, tc.cfg, clk, -1)
			if err != nil {
				t.Fatal(err)
			}
			wantPull := gpio.PullUp
			if tc.cfg.ActiveHigh {
				wantPull = gpio.PullDown
			}
			if pin.Pull() != wantPull {
				t.Errorf("pull %s, want %s", pin.Pull(), wantPull)
			}
			// Presses are taken in this goroutine, between samples: the
			// loop keeps one pending press and drops any other (the agent
			// takes them at once). An edge is taken only once the loop is
			// back in WaitForEdge, so by then the previous sample's press,
			// if any, is in the channel. A consumer goroutine of its own
			// could fall behind under qemu and lose the second press.
			var got []Press
			take := func() {
				for {
					select {
					case p := <-presses:
						got = append(got, p)
					default:
						return
					}
				}
			}
			t0 := time.Unix(1e9, 0)
			for _, s := range tc.samples {
				pin.EdgesChan <- s.level // WaitForEdge sets the level and returns
				take()
				clk <- t0.Add(s.at) // the loop reads the pin, then the clock
			}
			cancel()
			close(pin.EdgesChan)
			for p := range presses {
				got = append(got, p)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("presses %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestButtonConfigErrors(t *testing.T) {
	pin := &gpiotest.Pin{N: "GPIO27", EdgesChan: make(chan gpio.Level)}
	if _, err := WatchButton(context.Background(), pin, ButtonConfig{Debounce: time.Second, LongPress: time.Second}); err == nil {
		t.Error("debounce as long as the long press accepted")
	}
	if _, err := WatchButton(context.Background(), nil, ButtonConfig{}); err == nil {
		t.Error("nil pin accepted")
	}
	if _, err := OpenButton(context.Background(), ButtonConfig{}); err == nil {
		t.Error("empty pin name accepted")
	}
}

// noEdgePin is a pin without edge detection, as some kernels offer.
type noEdgePin struct{ gpiotest.Pin }

func (p *noEdgePin) In(pull gpio.Pull, e gpio.Edge) error {
	if e != gpio.NoEdge {
		return gpio.INVALID.In(pull, e)
	}
	return p.Pin.In(pull, e)
}

func TestButtonWithoutEdges(t *testing.T) {
	pin := &noEdgePin{Pin: gpiotest.Pin{N: "GPIO5"}}
	ctx, cancel := context.WithCancel(context.Background())
	clk := doneClock{c: make(chan time.Time), done: ctx.Done()}
	presses, err := watchButton(ctx, pin, ButtonConfig{}, clk, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1e9, 0)
	// Sampling: each clock read is one sample of the level set before it.
	for _, s := range []sample{{gpio.High, 0}, {gpio.Low, 100 * time.Millisecond}, {gpio.Low, 200 * time.Millisecond}, {gpio.High, 300 * time.Millisecond}, {gpio.High, 400 * time.Millisecond}} {
		// The loop may already wait in Now with the old level; give it one
		// time for that sample, then set the level and give the next.
		_ = pin.Out(s.level)
		clk.c <- t0.Add(s.at)
		clk.c <- t0.Add(s.at)
	}
	select {
	case p := <-presses:
		if p.Long {
			t.Errorf("press %+v, want short", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no press from a sampled pin")
	}
	cancel()
	for range presses {
	}
}
