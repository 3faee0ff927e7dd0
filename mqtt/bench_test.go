package mqtt

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/internal/mosquittotest"
)

func benchDial(b *testing.B, url string, enc Encoding) *Client {
	b.Helper()
	o := testOptions(url)
	o.Encoding = enc
	c, err := Dial(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.WaitConnected(ctx); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkPublishToken measures "token in hand" to the broker's PUBACK:
// encoding, the QoS 1 publish and the wait for the acknowledgement, against
// a local Mosquitto.
func BenchmarkPublishToken(b *testing.B) {
	broker := mosquittotest.Start(b, mosquittotest.Options{})
	for _, enc := range []Encoding{JSON, CBOR} {
		b.Run(enc.String(), func(b *testing.B) {
			c := benchDial(b, broker.URL, enc)
			ctx := context.Background()
			// An Entra access token is a JWT of about 1.5 KB.
			tok := sampleToken(time.Now(), "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9."+strings.Repeat("eyJhdWQiOiJodHRwczovL2dyYXBo", 45)+".sig")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := c.PublishToken(ctx, "graph", tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRepublishHeap reports the client's heap in use before and after
// 10,000 token publishes (each a new token, as after a refresh), once with the
// broker there and once with it gone: the heap must not grow with the count.
func BenchmarkRepublishHeap(b *testing.B) {
	const n = 10000
	broker := mosquittotest.Start(b, mosquittotest.Options{})
	for _, tt := range []struct {
		name string
		away bool
	}{{"connected", false}, {"broker-away", true}} {
		b.Run(tt.name, func(b *testing.B) {
			c := benchDial(b, broker.URL, JSON)
			ctx := context.Background()
			if tt.away {
				broker.Kill()
				defer broker.Restart()
				for c.Connected() {
					time.Sleep(5 * time.Millisecond)
				}
			}
			publish := func(i int) {
				err := c.PublishToken(ctx, "graph", sampleToken(time.Now(), "at-"+strconv.Itoa(i)))
				if err != nil && !(tt.away && errors.Is(err, ErrNotConnected)) {
					b.Fatal(err)
				}
			}
			for i := 0; i < 100; i++ { // warm up pools and maps
				publish(i)
			}
			var before, after runtime.MemStats
			b.ResetTimer()
			for it := 0; it < b.N; it++ {
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := 0; i < n; i++ {
					publish(i)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
			}
			b.ReportMetric(float64(before.HeapInuse)/1024, "heap-before-KiB")
			b.ReportMetric(float64(after.HeapInuse)/1024, "heap-after-KiB")
			b.ReportMetric((float64(after.HeapInuse)-float64(before.HeapInuse))/1024, "heap-delta-KiB")
		})
	}
}
