package display

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/display"
	"periph.io/x/devices/v3/ssd1306/image1bit"
)

// fakeDrawer records what a panel is sent.
type fakeDrawer struct {
	rect  image.Rectangle
	draws int
	last  *image1bit.VerticalLSB
	fail  int // fail this many Draw calls first
}

func newFake(w, h int) *fakeDrawer { return &fakeDrawer{rect: image.Rect(0, 0, w, h)} }

func (f *fakeDrawer) String() string          { return "fake" }
func (f *fakeDrawer) Halt() error             { return nil }
func (f *fakeDrawer) ColorModel() color.Model { return image1bit.BitModel }
func (f *fakeDrawer) Bounds() image.Rectangle { return f.rect }
func (f *fakeDrawer) Draw(r image.Rectangle, src image.Image, sp image.Point) error {
	if f.fail > 0 {
		f.fail--
		return errors.New("bus error")
	}
	f.draws++
	img := image1bit.NewVerticalLSB(f.rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.Set(x, y, src.At(sp.X+x-r.Min.X, sp.Y+y-r.Min.Y))
		}
	}
	f.last = img
	return nil
}

// dimmer is a fake panel that can dim, like ssd1306.Dev.
type dimmer struct {
	fakeDrawer
	contrast []uint8
}

func (d *dimmer) SetContrast(level uint8) error {
	d.contrast = append(d.contrast, level)
	return nil
}

var _ display.Drawer = (*fakeDrawer)(nil)

// clock is a settable fake clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time                { return c.t }
func (c *clock) add(d time.Duration) time.Time { c.t = c.t.Add(d); return c.t }

func lit(img *image1bit.VerticalLSB) int {
	n := 0
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if img.BitAt(x, y) {
				n++
			}
		}
	}
	return n
}

func TestUnchangedFrameSendsNoDraw(t *testing.T) {
	ck := &clock{t0.Add(10 * time.Second)} // not on a minute boundary of the token's lifetime
	d := newFake(128, 64)
	s, err := NewPixelScreen(d, PixelOptions{Now: ck.now})
	if err != nil {
		t.Fatal(err)
	}
	v := fixtures[3].view // signed in: nothing moves within a minute
	if err := s.Show(v); err != nil {
		t.Fatal(err)
	}
	if d.draws != 1 {
		t.Fatalf("first Show: %d draws, want 1", d.draws)
	}
	for i := 0; i < 20; i++ {
		if err := s.Show(v); err != nil {
			t.Fatal(err)
		}
		if err := s.Tick(ck.add(TickInterval)); err != nil {
			t.Fatal(err)
		}
	}
	if d.draws != 1 {
		t.Errorf("unchanged frames: %d draws, want 1", d.draws)
	}
	if err := s.Show(fixtures[4].view); err != nil {
		t.Fatal(err)
	}
	if d.draws != 2 {
		t.Errorf("after a new view: %d draws, want 2", d.draws)
	}
}

func TestDrawErrorRetries(t *testing.T) {
	ck := &clock{t0}
	d := newFake(128, 64)
	d.fail = 1
	s, _ := NewPixelScreen(d, PixelOptions{Now: ck.now})
	err := s.Show(fixtures[3].view)
	if err == nil || !strings.HasPrefix(err.Error(), "display: draw:") {
		t.Fatalf("Show on a failing panel: %v", err)
	}
	if err := s.Tick(ck.add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if d.draws != 1 {
		t.Errorf("the frame was not sent again after the failure: %d draws", d.draws)
	}
}

func TestCountdownBar(t *testing.T) {
	v := fixtures[1].view // 15 minutes from t0
	// The bar sits on the bottom 6 rows; its fill is the middle rows from
	// x = 2, 124 pixels at most.
	fill := func(now time.Time) int {
		img := image1bit.NewVerticalLSB(image.Rect(0, 0, 128, 64))
		DrawView(img, v, now, 0, DrawOptions{})
		n := 0
		for x := 2; x < 126; x++ {
			if img.BitAt(x, 64-3) {
				n++
			}
		}
		return n
	}
	tests := []struct {
		at   time.Duration
		want int
	}{
		{0, 124},
		{5 * time.Minute, 82}, // 124 * 10/15
		{7*time.Minute + 30*time.Second, 62},
		{15*time.Minute - time.Second, 1}, // a live code never shows an empty bar
		{15 * time.Minute, 0},
		{20 * time.Minute, 0},
		{-time.Minute, 124}, // a clock before issue does not overflow
	}
	for _, tt := range tests {
		if got := fill(t0.Add(tt.at)); got != tt.want {
			t.Errorf("at %v: %d pixels filled, want %d", tt.at, got, tt.want)
		}
	}
}

func TestEPaperRefreshLimit(t *testing.T) {
	ck := &clock{t0}
	d := newFake(250, 122)
	opts := EPaperOptions
	opts.Now = ck.now
	s, err := NewPixelScreen(d, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Show(fixtures[1].view); err != nil {
		t.Fatal(err)
	}
	var at []time.Duration
	drawn := d.draws
	for i := 0; i < 10*60/10; i++ { // ten minutes, a tick every 10 s
		now := ck.add(10 * time.Second)
		if err := s.Tick(now); err != nil {
			t.Fatal(err)
		}
		if err := s.Show(fixtures[1].view); err != nil { // the agent re-shows on every poll
			t.Fatal(err)
		}
		if d.draws != drawn {
			drawn = d.draws
			at = append(at, now.Sub(t0))
		}
	}
	if len(at) < 9 || len(at) > 10 {
		t.Errorf("%d refreshes in 10 minutes (at %v), want one a minute", len(at), at)
	}
	for i := 1; i < len(at); i++ {
		if at[i]-at[i-1] < time.Minute {
			t.Errorf("refreshes %v and %v are less than a minute apart", at[i-1], at[i])
		}
	}
	// A new view is drawn at once, whatever the limit.
	before := d.draws
	if err := s.Show(fixtures[3].view); err != nil {
		t.Fatal(err)
	}
	if d.draws != before+1 {
		t.Errorf("a new view waited for the refresh limit")
	}
}

func TestBurnInDims(t *testing.T) {
	ck := &clock{t0}
	d := &dimmer{fakeDrawer: *newFake(128, 64)}
	s, _ := NewPixelScreen(d, PixelOptions{Now: ck.now, SleepAfter: time.Minute})
	s.Show(fixtures[3].view)
	s.Tick(ck.add(59 * time.Second))
	if len(d.contrast) != 0 {
		t.Fatalf("dimmed before SleepAfter: %v", d.contrast)
	}
	s.Tick(ck.add(time.Second))
	if len(d.contrast) != 1 || d.contrast[0] != 1 {
		t.Fatalf("after SleepAfter: contrast calls %v, want [1]", d.contrast)
	}
	if lit(d.last) == 0 {
		t.Errorf("dimmed panel went blank; it should keep the view")
	}
	s.Tick(ck.add(time.Minute))
	if len(d.contrast) != 1 {
		t.Errorf("dimmed again: %v", d.contrast)
	}
	// Any state change wakes it.
	s.Show(fixtures[4].view)
	if len(d.contrast) != 2 || d.contrast[1] != 0xFF {
		t.Fatalf("after a state change: contrast calls %v, want [1 255]", d.contrast)
	}
	// Only SignedIn sleeps.
	s.Tick(ck.add(time.Hour))
	if len(d.contrast) != 2 {
		t.Errorf("an error view dimmed: %v", d.contrast)
	}
}

func TestBurnInBlanksAndWakes(t *testing.T) {
	ck := &clock{t0}
	d := newFake(128, 64) // cannot dim: blanks
	s, _ := NewPixelScreen(d, PixelOptions{Now: ck.now, SleepAfter: time.Minute})
	s.Show(fixtures[3].view)
	s.Tick(ck.add(time.Minute))
	if lit(d.last) != 0 {
		t.Fatalf("asleep: %d pixels lit, want 0", lit(d.last))
	}
	draws := d.draws
	s.Tick(ck.add(time.Minute))
	if d.draws != draws {
		t.Errorf("a blank panel was redrawn")
	}
	// A button press (Wake) shows the view for another SleepAfter.
	if err := s.Wake(); err != nil {
		t.Fatal(err)
	}
	if lit(d.last) == 0 {
		t.Fatal("Wake did not show the view")
	}
	s.Tick(ck.add(59 * time.Second))
	if lit(d.last) == 0 {
		t.Error("slept again before SleepAfter")
	}
	s.Tick(ck.add(time.Second))
	if lit(d.last) != 0 {
		t.Error("did not sleep again after SleepAfter")
	}
	// Showing the same view again is no state change: it stays asleep.
	s.Show(fixtures[3].view)
	if lit(d.last) != 0 {
		t.Error("re-showing the same view woke the panel")
	}
	s.Show(fixtures[0].view)
	if lit(d.last) == 0 {
		t.Error("a state change did not wake the panel")
	}
}

func TestPixelScreenSizes(t *testing.T) {
	tests := []struct {
		w, h int
		want Class
	}{
		{128, 64, ClassOLED64},
		{128, 32, ClassOLED32},
		{250, 122, ClassLarge},
		{122, 250, ClassLarge}, // Waveshare 2.13" reports portrait bounds
		{212, 104, ClassLarge},
		{32, 8, ClassMatrix},
		{64, 16, ClassMatrix},
		{132, 64, ClassOLED64},
	}
	for _, tt := range tests {
		s, err := NewPixelScreen(newFake(tt.w, tt.h), PixelOptions{})
		if err != nil {
			t.Errorf("%dx%d: %v", tt.w, tt.h, err)
			continue
		}
		if s.Class() != tt.want {
			t.Errorf("%dx%d: class %v, want %v", tt.w, tt.h, s.Class(), tt.want)
		}
	}
	for _, bad := range []image.Rectangle{image.Rect(0, 0, 16, 8), image.Rect(0, 0, 31, 8), image.Rect(0, 0, 0, 0)} {
		if _, err := NewPixelScreen(&fakeDrawer{rect: bad}, PixelOptions{}); err == nil || !strings.HasPrefix(err.Error(), "display: ") {
			t.Errorf("%v: error %v, want a display: error", bad, err)
		}
	}
	if _, err := NewPixelScreen(newFake(128, 64), PixelOptions{Rotate: 45}); err == nil {
		t.Error("rotation 45 accepted")
	}
	if _, err := NewPixelScreen(nil, PixelOptions{}); err == nil {
		t.Error("nil drawer accepted")
	}
}

// A turned panel shows the same picture as an upright one, turned.
func TestRotation(t *testing.T) {
	up := image1bit.NewVerticalLSB(image.Rect(0, 0, 250, 122))
	DrawView(up, fixtures[2].view, now5, 0, DrawOptions{Invert: true})
	turned := image1bit.NewVerticalLSB(image.Rect(0, 0, 122, 250))
	DrawView(turned, fixtures[2].view, now5, 0, DrawOptions{Invert: true, Rotate: 90})
	for y := 0; y < 122; y++ {
		for x := 0; x < 250; x++ {
			if up.BitAt(x, y) != turned.BitAt(121-y, x) {
				t.Fatalf("pixel %d,%d differs after a 90 degree turn", x, y)
			}
		}
	}
}

func TestMatrixScrollSequence(t *testing.T) {
	v := fixtures[2].view
	frames := make([]*image1bit.VerticalLSB, 3)
	for i := range frames {
		frames[i] = image1bit.NewVerticalLSB(image.Rect(0, 0, 32, 8))
		DrawView(frames[i], v, now5, i, DrawOptions{})
	}
	// Step n+1 is step n moved one pixel left.
	for i := 1; i < len(frames); i++ {
		for y := 0; y < 8; y++ {
			for x := 0; x < 31; x++ {
				if frames[i].BitAt(x, y) != frames[i-1].BitAt(x+1, y) {
					t.Fatalf("step %d pixel %d,%d is not step %d moved left", i, x, y, i-1)
				}
			}
		}
	}
	// The scroll is periodic: one period later the frame is the same.
	var b [512]byte
	period := len(matrixText(b[:0], v, now5))*8 + 32
	again := image1bit.NewVerticalLSB(image.Rect(0, 0, 32, 8))
	DrawView(again, v, now5, period+1, DrawOptions{})
	if !equalBits(again, frames[1]) {
		t.Error("the scroll does not repeat after its period")
	}
	// PixelScreen advances one pixel per matrixPixelTime.
	ck := &clock{t0}
	d := newFake(32, 8)
	s, _ := NewPixelScreen(d, PixelOptions{Now: ck.now})
	s.Show(v)
	s.Tick(ck.add(2 * matrixPixelTime))
	if !equalBits(d.last, frames[2]) {
		t.Error("the screen is not at step 2 after two step times")
	}
}

func TestPagesSequence(t *testing.T) {
	v := fixtures[1].view
	var got []string
	for step := 0; step < 13; step++ {
		got = append(got, TextLines(v, 4, 1, now5, step)[0])
	}
	// "PLE.C" is four digits: the '.' lights E's decimal point.
	want := "CODE|WDJB|MJHT|AT  |EXAM|PLE.C|OM/D|EVIC|E   |10  |MIN |LEFT|CODE"
	if s := strings.Join(got, "|"); s != want {
		t.Errorf("pages:\n got %s\nwant %s", s, want)
	}
}

func TestScrollRow(t *testing.T) {
	tests := []struct {
		s    string
		step int
		want string
	}{
		{"short", 3, "short"},
		{"microsoft.com/devicelogin", 0, "microsoft.com/de"},
		{"microsoft.com/devicelogin", 1, "icrosoft.com/dev"},
		{"microsoft.com/devicelogin", 20, "login   microsof"},
		{"microsoft.com/devicelogin", 28, "microsoft.com/de"}, // period 25+3
		{"naïve", 0, "na?ve"},
	}
	for _, tt := range tests {
		if got := scrollRow(tt.s, 16, tt.step); got != tt.want {
			t.Errorf("scrollRow(%q, 16, %d) = %q, want %q", tt.s, tt.step, got, tt.want)
		}
	}
}

// fakeLCD records a TextDisplay's rows.
type fakeLCD struct {
	display.TextDisplay // methods not overridden panic: the screen must not use them
	rows                [][]byte
	row, col            int
	writes              int
	cursorOff           bool
}

func newLCD(cols, rows int) *fakeLCD {
	l := &fakeLCD{rows: make([][]byte, rows)}
	for i := range l.rows {
		l.rows[i] = bytes.Repeat([]byte{' '}, cols)
	}
	return l
}
func (l *fakeLCD) Cols() int   { return len(l.rows[0]) }
func (l *fakeLCD) Rows() int   { return len(l.rows) }
func (l *fakeLCD) MinRow() int { return 1 }
func (l *fakeLCD) MinCol() int { return 1 }
func (l *fakeLCD) Clear() error {
	for _, r := range l.rows {
		copy(r, bytes.Repeat([]byte{' '}, len(r)))
	}
	return nil
}
func (l *fakeLCD) Cursor(m ...display.CursorMode) error {
	l.cursorOff = len(m) == 1 && m[0] == display.CursorOff
	return nil
}
func (l *fakeLCD) MoveTo(row, col int) error {
	if row < 1 || row > len(l.rows) || col < 1 || col > len(l.rows[0]) {
		return errors.New("out of range")
	}
	l.row, l.col = row-1, col-1
	return nil
}
func (l *fakeLCD) WriteString(s string) (int, error) {
	l.writes++
	copy(l.rows[l.row][l.col:], s)
	l.col += len(s)
	return len(s), nil
}

func TestTextScreen(t *testing.T) {
	ck := &clock{now5}
	lcd := newLCD(16, 2)
	s, err := NewTextScreen(lcd, 0, 0, TextOptions{Now: ck.now})
	if err != nil {
		t.Fatal(err)
	}
	if !lcd.cursorOff {
		t.Error("cursor left on")
	}
	v := fixtures[2].view
	s.Show(v)
	want := TextLines(v, 16, 2, now5, 0)
	for i := range want {
		if string(lcd.rows[i]) != want[i] {
			t.Errorf("row %d = %q, want %q", i, lcd.rows[i], want[i])
		}
	}
	if lcd.writes != 2 {
		t.Errorf("%d writes for two rows", lcd.writes)
	}
	// The address scrolls one character per step; the code row stays.
	s.Tick(ck.add(textStep(16, 2)))
	if lcd.writes != 3 {
		t.Errorf("one step rewrote %d rows, want 1", lcd.writes-2)
	}
	if got := string(lcd.rows[1]); got != "icrosoft.com/dev" {
		t.Errorf("scrolled row = %q", got)
	}
	s.Tick(ck.t) // same time: nothing to write
	if lcd.writes != 3 {
		t.Errorf("an unchanged tick wrote to the panel")
	}
	if _, err := NewTextScreen(newLCD(2, 1), 0, 0, TextOptions{}); err == nil {
		t.Error("a 2x1 panel was accepted")
	}
}

func TestTerminalRedraw(t *testing.T) {
	ck := &clock{now5.Add(10 * time.Second)} // not on a step of the countdown
	var tty bytes.Buffer
	term := NewTerminal(&tty, TerminalOptions{Now: ck.now, TTY: true})
	v := fixtures[2].view
	term.Show(v)
	first := tty.Len()
	if first == 0 || strings.Contains(tty.String(), "\x1b[J") {
		t.Fatalf("first view: %q", tty.String())
	}
	term.Show(v)
	term.Tick(ck.add(time.Second))
	if tty.Len() != first {
		t.Errorf("an unchanged view was written again")
	}
	term.Tick(ck.add(time.Minute))
	redraw := tty.String()[first:]
	lines := strings.Count(tty.String()[:first], "\n")
	if !strings.HasPrefix(redraw, "\x1b["+strconv.Itoa(lines)+"F\x1b[J") {
		t.Errorf("the countdown was not redrawn in place: %q", redraw[:min(20, len(redraw))])
	}

	var plain bytes.Buffer
	log := NewTerminal(&plain, TerminalOptions{Now: ck.now})
	log.Show(v)
	n := plain.Len()
	log.Tick(ck.add(5 * time.Minute))
	log.Show(v)
	if plain.Len() != n {
		t.Errorf("a plain writer got the view again for the countdown")
	}
	log.Show(fixtures[3].view)
	if plain.Len() == n || strings.Contains(plain.String(), "\x1b") {
		t.Errorf("plain output: %q", plain.String())
	}
}

// No View can carry the device code or a token.
func TestViewHasNoSecretFields(t *testing.T) {
	typ := reflect.TypeOf(View{})
	for i := 0; i < typ.NumField(); i++ {
		name := strings.ToLower(typ.Field(i).Name)
		if strings.Contains(name, "token") && name != "tokenexpiry" || strings.Contains(name, "devicecode") || strings.Contains(name, "secret") {
			t.Errorf("View has a field %s", typ.Field(i).Name)
		}
	}
}

func TestIntervals(t *testing.T) {
	tests := []struct {
		w, h int
		want time.Duration
	}{
		{32, 8, 40 * time.Millisecond},
		{128, 32, 60 * time.Millisecond},
		{128, 64, time.Second},
		{250, 122, time.Second},
	}
	for _, tt := range tests {
		s, _ := NewPixelScreen(newFake(tt.w, tt.h), PixelOptions{})
		if got := s.Interval(); got != tt.want {
			t.Errorf("%dx%d: Interval %v, want %v", tt.w, tt.h, got, tt.want)
		}
	}
	lcd, _ := NewTextScreen(newLCD(4, 1), 0, 0, TextOptions{})
	if lcd.Interval() != 1500*time.Millisecond {
		t.Errorf("4x1 interval %v", lcd.Interval())
	}
}

// Animate ticks with the screen's own interval and stops with its context.
func TestAnimate(t *testing.T) {
	d := newFake(32, 8)
	s, _ := NewPixelScreen(d, PixelOptions{})
	s.Show(fixtures[2].view)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := Animate(ctx, s, 0, nil); err != nil {
		t.Fatal(err)
	}
	if d.draws < 2 {
		t.Errorf("%d draws in 300 ms of a scrolling matrix", d.draws)
	}
}

// A code with a lifetime of decades (no provider sends one; TerminalText
// and DrawView are public) must not overflow the countdown bar: the
// product of cells and nanoseconds exceeds an int64.
func TestCountdownOfDecades(t *testing.T) {
	issued := now5.Add(-time.Minute)
	for _, years := range []int{12, 33, 54, 292} {
		v := View{State: AwaitingUser, UserCode: "WDJB-MJHT", VerificationURI: "https://microsoft.com/devicelogin",
			Issued: issued, ExpiresAt: issued.AddDate(years, 0, 0)}
		out := TerminalText(v, now5, TerminalOptions{TTY: true})
		if !strings.Contains(out, strings.Repeat("█", 29)+"░ ") && !strings.Contains(out, strings.Repeat("█", 30)+" ") {
			t.Errorf("%d years: the bar is not (nearly) full:\n%s", years, out)
		}
		if got := fillOf(100, v.ExpiresAt.Sub(now5), v.ExpiresAt.Sub(v.Issued)); got != 99 && got != 100 {
			t.Errorf("%d years: fillOf = %d of 100", years, got)
		}
		img := image1bit.NewVerticalLSB(image.Rect(0, 0, 128, 64))
		DrawView(img, v, now5, 0, DrawOptions{})
	}
}

// wrap breaks after a separator where it can, but not when that would cut
// the end off a text a plain break lets fit: AWS IAM Identity Center's
// 34-character host fits two lines of 18.
func TestWrapKeepsWhatFits(t *testing.T) {
	for _, tt := range []struct {
		text  string
		cols  int
		lines int
		want  []string
	}{
		{"device.sso.us-east-1.amazonaws.com", 18, 2, []string{"device.sso.us-east", "-1.amazonaws.com"}},
		{"microsoft.com/devicelogin", 18, 2, []string{"microsoft.com/", "devicelogin"}},
		{"device.sso.us-east-1.amazonaws.com/start", 18, 2, []string{"device.sso.us-", "east-1.amazonaws.."}},
	} {
		var out [4]span
		text := []byte(tt.text)
		n := wrap(text, tt.cols, out[:tt.lines])
		var got []string
		for _, l := range out[:n] {
			got = append(got, string(text[l.a:l.b]))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("wrap(%q, %d, %d lines) = %q, want %q", tt.text, tt.cols, tt.lines, got, tt.want)
		}
	}
}

// Close darkens an OLED (burn-in) but leaves an e-paper panel its last
// picture: the agent's final View, Stopped, is what it keeps unpowered,
// and a blank frame would cost a full refresh.
func TestCloseKeepsTheEPaperPicture(t *testing.T) {
	for _, tt := range []struct {
		name      string
		opts      PixelOptions
		w, h      int
		wantDraws int
		wantBlank bool
	}{
		{"oled", DefaultPixelOptions, 128, 64, 2, true},
		{"e-paper", EPaperOptions, 250, 122, 1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(tt.w, tt.h)
			tt.opts.Now = func() time.Time { return now5 }
			s, err := NewPixelScreen(f, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Show(View{State: Stopped}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			lit := 0
			b := f.last.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if f.last.BitAt(x, y) != image1bit.Bit(tt.opts.Invert) {
						lit++
					}
				}
			}
			if f.draws != tt.wantDraws || (lit == 0) != tt.wantBlank {
				t.Errorf("draws %d, %d pixels not background after Close; want %d draws, blank %v", f.draws, lit, tt.wantDraws, tt.wantBlank)
			}
		})
	}
}

// What a provider sends is shown on a terminal without control or format
// characters: no escape sequence moves the cursor, no bidi override
// reorders the address, no zero-width character hides part of it.
func TestTerminalShowsNoFormatCharacters(t *testing.T) {
	v := View{State: AwaitingUser, UserCode: "WDJB\u200b-MJHT", Issued: now5, ExpiresAt: now5.Add(15 * time.Minute),
		VerificationURI: "https://microsoft.com/\u202enigolecived\u202c\u2066x\u2069\u2028\x1b[2J"}
	for _, tty := range []bool{false, true} {
		out := TerminalText(v, now5, TerminalOptions{TTY: tty})
		for _, bad := range []string{"\u202e", "\u202c", "\u2066", "\u2069", "\u200b", "\u2028", "\x1b[2J"} {
			if strings.Contains(out, bad) {
				t.Errorf("tty %v: output holds %q", tty, bad)
			}
		}
	}
}
