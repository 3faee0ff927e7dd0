package preview

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"periph.io/x/devices/v3/videosink"
)

// Options configures a preview.
type Options struct {
	// Width and Height are the simulated panel's size. Default 128x64.
	Width, Height int
	// MinFrameInterval limits the frame rate sent to browsers. Default
	// 100 ms: enough for the 32x8 scroll.
	MinFrameInterval time.Duration
}

// DefaultOptions simulates a 128x64 OLED.
var DefaultOptions = Options{Width: 128, Height: 64, MinFrameInterval: 100 * time.Millisecond}

// New returns a Drawer that is also an http.Handler: pass it to
// display.NewPixelScreen and serve it (or call Serve).
func New(o Options) (*videosink.Display, error) {
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = DefaultOptions.Width, DefaultOptions.Height
	}
	if o.Width < 8 || o.Height < 8 || o.Width > 1024 || o.Height > 1024 {
		return nil, fmt.Errorf("preview: size %dx%d is out of range 8..1024", o.Width, o.Height)
	}
	if o.MinFrameInterval == 0 {
		o.MinFrameInterval = DefaultOptions.MinFrameInterval
	}
	return videosink.New(&videosink.Options{
		Width: o.Width, Height: o.Height,
		Format:           videosink.PNG,
		MinFrameInterval: o.MinFrameInterval,
	}), nil
}

// Serve serves h on addr (for example "127.0.0.1:8128") until ctx ends.
// It refuses addresses that are not loopback: the preview shows the user
// code and must not be reachable from the network.
func Serve(ctx context.Context, addr string, h http.Handler) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("preview: address %q: %w; use host:port such as 127.0.0.1:8128", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("preview: address %q is not loopback; use 127.0.0.1 or [::1]", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("preview: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done, stop := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
		case <-stop:
		}
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		srv.Close() // streams never end by themselves
	}()
	err = srv.Serve(ln)
	close(stop)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("preview: serve: %w", err)
}
