package main

import (
	"errors"
	"image"
	"image/color"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/board"
	bldisplay "github.com/boardlogin/boardlogin/display"
	"periph.io/x/conn/v3/display"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// errWire is what a panel with a loose wire returns.
var errWire = errors.New("i2c: remote I/O error")

// brokenDrawer is a 128x64 panel that fails every Draw once broken is set.
type brokenDrawer struct {
	broken atomic.Bool
	draws  atomic.Int32
}

func (d *brokenDrawer) Bounds() image.Rectangle { return image.Rect(0, 0, 128, 64) }
func (d *brokenDrawer) ColorModel() color.Model { return image1bit.BitModel }
func (d *brokenDrawer) Halt() error             { return nil }
func (d *brokenDrawer) String() string          { return "broken" }
func (d *brokenDrawer) Draw(image.Rectangle, image.Image, image.Point) error {
	d.draws.Add(1)
	if d.broken.Load() {
		return errWire
	}
	return nil
}

// brokenText is a 16x2 character panel that fails every call once broken.
type brokenText struct {
	broken atomic.Bool
}

func (t *brokenText) err() error {
	if t.broken.Load() {
		return errWire
	}
	return nil
}
func (t *brokenText) AutoScroll(bool) error              { return t.err() }
func (t *brokenText) Cols() int                          { return 16 }
func (t *brokenText) Rows() int                          { return 2 }
func (t *brokenText) MinCol() int                        { return 0 }
func (t *brokenText) MinRow() int                        { return 0 }
func (t *brokenText) Clear() error                       { return t.err() }
func (t *brokenText) Cursor(...display.CursorMode) error { return t.err() }
func (t *brokenText) Home() error                        { return t.err() }
func (t *brokenText) Move(display.CursorDirection) error { return t.err() }
func (t *brokenText) MoveTo(int, int) error              { return t.err() }
func (t *brokenText) Display(bool) error                 { return t.err() }
func (t *brokenText) String() string                     { return "broken lcd" }
func (t *brokenText) Write(p []byte) (int, error)        { return len(p), t.err() }
func (t *brokenText) WriteString(s string) (int, error)  { return len(s), t.err() }

func newTestTerminal(w *syncBuffer) bldisplay.Screen {
	return bldisplay.NewTerminal(w, bldisplay.TerminalOptions{})
}

// A panel that dies at run time is dropped after board's guard gives up:
// one error line names it, transient failures log once at debug, Show
// reports no error to the supervisor, and the terminal goes on.
func TestDeadPanelIsDropped(t *testing.T) {
	tests := []struct {
		name  string
		panel func() (*board.Panel, func(bool))
	}{
		{"pixel", func() (*board.Panel, func(bool)) {
			d := &brokenDrawer{}
			return &board.Panel{Name: "ssd1306-i2c 128x64 at 0x3c on /dev/i2c-1", Drawer: d}, d.broken.Store
		}},
		{"text", func() (*board.Panel, func(bool)) {
			d := &brokenText{}
			return &board.Panel{Name: "hd44780-pcf8574 16x2 at 0x27 on /dev/i2c-1", Text: d, Cols: 16, Rows: 2}, d.broken.Store
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logBuf syncBuffer
			log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			var term syncBuffer
			s := &screens{log: log}
			s.add("terminal", newTestTerminal(&term), nil)
			p, setBroken := tt.panel()
			released := 0
			p.Close = func() error { released++; return errWire }
			addPanel(s, p, 0, log)
			if s.len() != 2 {
				t.Fatalf("screens = %d, want terminal and panel", s.len())
			}
			show := func(code string) error {
				return s.Show(view{Kind: viewCode, UserCode: code, VerificationURI: "https://microsoft.com/devicelogin",
					ExpiresAt: time.Now().Add(15 * time.Minute), Issued: time.Now()})
			}
			if err := show("AAAA-0000"); err != nil {
				t.Fatalf("Show on working panels: %v", err)
			}
			setBroken(true)
			for i, code := range []string{"BBBB-1111", "CCCC-2222", "DDDD-3333", "EEEE-4444"} {
				if err := show(code); err != nil {
					t.Errorf("Show %d with a failing panel returned %v; the supervisor should not see panel errors", i, err)
				}
			}
			if s.len() != 1 || describeScreens(s) != "terminal" {
				t.Errorf("screens after the panel died: %q, want terminal only", describeScreens(s))
			}
			if released != 1 {
				t.Errorf("panel released %d times, want 1", released)
			}
			out := term.String()
			if !strings.Contains(out, "EEEE-4444") {
				t.Errorf("terminal did not get the view shown after the panel died:\n%s", out)
			}
			logs := logBuf.String()
			if n := strings.Count(logs, "level=ERROR"); n != 1 || !strings.Contains(logs, p.Name) ||
				!strings.Contains(logs, "check its wiring") {
				t.Errorf("want one error line naming the panel and what to check, got %d:\n%s", n, logs)
			}
			if n := strings.Count(logs, "level=DEBUG"); n != 1 {
				t.Errorf("want the transient failures logged once at debug, got %d:\n%s", n, logs)
			}
			setBroken(false) // a dropped panel is not touched again
			if err := show("FFFF-5555"); err != nil || s.len() != 1 {
				t.Errorf("Show after drop: %v, %d screens", err, s.len())
			}
		})
	}
}

// Ticks count too: a panel that fails only in Tick is dropped the same way.
func TestDeadPanelDroppedByTick(t *testing.T) {
	var logBuf syncBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	s := &screens{log: log}
	var term syncBuffer
	s.add("terminal", newTestTerminal(&term), nil)
	d := &brokenDrawer{}
	addPanel(s, &board.Panel{Name: "ssd1306-spi", Drawer: d, Close: func() error { return nil }}, 0, log)
	now := time.Now()
	if err := s.Show(view{Kind: viewCode, UserCode: "AAAA-0000", VerificationURI: "https://x.example/d",
		ExpiresAt: now.Add(time.Minute), Issued: now}); err != nil {
		t.Fatal(err)
	}
	d.broken.Store(true)
	panel := s.all[1]
	alive := true
	for i := 0; i < 10 && alive; i++ {
		now = now.Add(time.Second) // the countdown moves: every tick draws
		alive = s.tick(panel, panel.sc.(bldisplay.Ticker), now)
	}
	if alive || s.len() != 1 {
		t.Fatalf("panel still in use after failing ticks (draws %d)", d.draws.Load())
	}
	if !strings.Contains(logBuf.String(), "ssd1306-spi") {
		t.Errorf("log does not name the panel:\n%s", logBuf.String())
	}
}

// dimmer is a drawer with SetContrast, like periph's ssd1306.Dev.
type dimmer struct {
	brokenDrawer
	level int
}

func (d *dimmer) SetContrast(l uint8) error { d.level = int(l); return nil }

// The guard must not hide SetContrast: without it dim-after blanks an
// OLED instead of dimming it.
func TestGuardKeepsContrast(t *testing.T) {
	d := &dimmer{level: -1}
	c, ok := guardDrawer(d).(contraster)
	if !ok {
		t.Fatal("the guarded drawer lost SetContrast")
	}
	if err := c.SetContrast(7); err != nil || d.level != 7 {
		t.Errorf("SetContrast(7): %v, panel level %d", err, d.level)
	}
	if _, ok := guardDrawer(&brokenDrawer{}).(contraster); ok {
		t.Error("a drawer without SetContrast gained one")
	}
}

// A button press wakes a panel that dimmed for burn-in care, also while
// the view stays the same (a short press while signed in shows the same
// status again, which alone would not wake it).
func TestButtonWakesDimmedPanel(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	d := &dimmer{level: -1}
	opts := bldisplay.DefaultPixelOptions
	opts.SleepAfter = 5 * time.Minute
	opts.Now = func() time.Time { return now }
	ps, err := bldisplay.NewPixelScreen(guardDrawer(d), opts)
	if err != nil {
		t.Fatal(err)
	}
	s := &screens{log: slog.New(slog.DiscardHandler)}
	s.add("ssd1306-i2c", ps, nil)
	v := view{Kind: viewSignedIn, Account: "ada@example.test", ExpiresAt: now.Add(time.Hour)}
	if err := s.Show(v); err != nil {
		t.Fatal(err)
	}
	now = now.Add(6 * time.Minute)
	if err := ps.Tick(now); err != nil {
		t.Fatal(err)
	}
	if d.level != int(opts.DimContrast) {
		t.Fatalf("after 6 minutes signed in the panel's contrast is %d, want dimmed to %d", d.level, opts.DimContrast)
	}
	if err := s.Show(v); err != nil {
		t.Fatal(err)
	}
	if d.level != int(opts.DimContrast) {
		t.Fatalf("showing the same view again changed the contrast to %d", d.level)
	}
	s.Wake()
	if d.level != int(opts.WakeContrast) {
		t.Errorf("after Wake the contrast is %d, want %d", d.level, opts.WakeContrast)
	}
}

// Every supervisor view becomes the display state a person should read; a
// clean shutdown (the picture an e-paper keeps) must not read as an error.
func TestToDisplayView(t *testing.T) {
	tests := []struct {
		kind viewKind
		want bldisplay.State
	}{
		{viewStarting, bldisplay.Starting},
		{viewWaitingForClock, bldisplay.WaitingForClock},
		{viewCode, bldisplay.AwaitingUser},
		{viewSignedIn, bldisplay.SignedIn},
		{viewDeclined, bldisplay.Error},
		{viewIdle, bldisplay.Error},
		{viewError, bldisplay.Error},
		{viewStopped, bldisplay.Stopped},
		{viewNoNetwork, bldisplay.NoNetwork},
		{viewBusy, bldisplay.Error},
	}
	if len(tests) != len(viewNames) {
		t.Fatalf("%d cases for %d view kinds: add the new kind here", len(tests), len(viewNames))
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			d := toDisplayView(view{Kind: tt.kind, Message: "boardlogin stopped"})
			if d.State != tt.want {
				t.Fatalf("state %v, want %v", d.State, tt.want)
			}
		})
	}

	var out strings.Builder
	term := bldisplay.NewTerminal(&out, bldisplay.TerminalOptions{})
	if err := term.Show(toDisplayView(view{Kind: viewStopped, Message: "boardlogin stopped"})); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "Stopped") || strings.Contains(strings.ToLower(got), "error") {
		t.Fatalf("the stopped screen reads %q, want a Stopped title and no error", got)
	}
}
