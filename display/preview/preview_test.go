package preview

import (
	"context"
	"image"
	"image/png"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/display"
)

func TestPreviewServesFrames(t *testing.T) {
	d, err := New(Options{Width: 128, Height: 32})
	if err != nil {
		t.Fatal(err)
	}
	s, err := display.NewPixelScreen(d, display.DefaultPixelOptions)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Show(display.View{State: display.SignedIn, Account: "alice"}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, addr, d) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	var resp *http.Response
	client := &http.Client{Timeout: 5 * time.Second}
	for i := 0; i < 100; i++ { // wait for the listener
		if resp, err = client.Get("http://" + addr + "/"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "multipart/") {
		t.Fatalf("content type %q, want a multipart stream", ct)
	}
	// The first part is a PNG of the panel.
	_, params, _ := strings.Cut(ct, "boundary=")
	mr := multipartReader(resp, params)
	part, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(part)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 128, 32) {
		t.Errorf("frame %v, want 128x32", img.Bounds())
	}
	lit := 0
	for y := 0; y < 32; y++ {
		for x := 0; x < 128; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r > 0x8000 {
				lit++
			}
		}
	}
	if lit == 0 {
		t.Error("the streamed frame is blank")
	}
}

func TestServeRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8128", ":8128", "192.168.1.2:8128", "nonsense"} {
		err := Serve(context.Background(), addr, http.NotFoundHandler())
		if err == nil || !strings.HasPrefix(err.Error(), "preview: ") {
			t.Errorf("Serve(%q) = %v, want a preview: error", addr, err)
		}
	}
}

func TestNewRejectsSizes(t *testing.T) {
	if _, err := New(Options{Width: 4, Height: 4}); err == nil {
		t.Error("4x4 accepted")
	}
	d, err := New(Options{})
	if err != nil || d.Bounds() != image.Rect(0, 0, 128, 64) {
		t.Errorf("default: %v %v", d, err)
	}
}

func multipartReader(resp *http.Response, boundary string) *multipart.Reader {
	return multipart.NewReader(resp.Body, strings.Trim(boundary, `"`))
}
