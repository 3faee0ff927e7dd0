package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/boardlogin/boardlogin/board"
	"github.com/boardlogin/boardlogin/display"
	pdisplay "periph.io/x/conn/v3/display"
)

func init() {
	// The display key accepts every panel kind board knows, and terminal.
	displayNames = append([]string{"terminal"}, board.Kinds...)
}

// textKinds are the character panels: display-size counts characters for
// them and pixels for every other kind.
var textKinds = map[string]bool{
	board.KindHD44780PCF8574: true, board.KindAIP31068: true, board.KindWaveshare1602: true,
	board.KindSerLCD: true, board.KindMatrixOrbital: true, board.KindHT16K33: true,
}

// The largest character panels made are 40x4 (HD44780 with two
// controllers is beyond this driver); display-size above that is a pixel
// size given for the wrong kind.
const maxTextCols, maxTextRows = 40, 4

func isTextKind(kind string) bool { return textKinds[kind] }

// panelConfig maps the configuration to board's. With display = auto the
// kind is not known yet: a size that fits a character panel (at most 40x4)
// is taken as COLSxROWS, anything larger as pixels, which is the only
// reading that makes sense for the panels auto-detection finds (SSD1306 is
// at least 128x32, LCDs at most 40x4).
func panelConfig(cfg *Config) board.PanelConfig {
	pc := board.PanelConfig{Kind: cfg.Display, I2CBus: cfg.I2CBus, I2CAddr: cfg.I2CAddr, SPIPort: cfg.SPIPort,
		DCPin: cfg.DCPin, ResetPin: cfg.ResetPin, BusyPin: cfg.BusyPin,
		Rotate180: cfg.Rotate180}
	if cfg.Display == board.KindMAX7219 {
		pc.Cascade = cfg.MatrixCascade
	}
	if cfg.DisplayW > 0 {
		text := isTextKind(cfg.Display) ||
			cfg.Display == board.KindAuto && cfg.DisplayW <= maxTextCols && cfg.DisplayH <= maxTextRows
		if text {
			pc.Cols, pc.Rows = cfg.DisplayW, cfg.DisplayH
		} else {
			pc.Width, pc.Height = cfg.DisplayW, cfg.DisplayH
		}
	}
	return pc
}

// toDisplayView converts the supervisor's view to display's.
func toDisplayView(v view) display.View {
	d := display.View{Reason: v.Message, Account: v.Account}
	switch v.Kind {
	case viewStarting:
		d.State = display.Starting
	case viewWaitingForClock:
		d.State = display.WaitingForClock
	case viewCode:
		d.State = display.AwaitingUser
		d.UserCode, d.VerificationURI, d.VerificationURIComplete = v.UserCode, v.VerificationURI, v.VerificationURIC
		d.ExpiresAt, d.Issued = v.ExpiresAt, v.Issued
	case viewSignedIn:
		d.State = display.SignedIn
		d.TokenExpiry = v.ExpiresAt
	case viewDeclined:
		d.State, d.Hint = display.Error, "a new code follows"
	case viewIdle:
		d.State, d.Hint = display.Error, "or send cmd/signout"
	case viewError:
		d.State = display.Error
	case viewNoNetwork:
		d.State = display.NoNetwork
	case viewBusy:
		d.State, d.Hint = display.Error, "the sign-in service is busy; retrying"
	case viewStopped:
		// The last picture an e-paper keeps: display's own wording, which
		// does not read as an error.
		d.State, d.Reason = display.Stopped, ""
	}
	return d
}

// screen is one display the agent shows views on.
type screenEntry struct {
	name    string // "terminal" or board's panel name, for the log
	sc      display.Screen
	release func() error // releases the panel's bus and pins; may be nil
	failing bool         // the last Show or Tick failed (logged once at debug)
}

// screens shows each view on every screen; one failing screen does not
// keep the others dark. A panel whose guard reports board.ErrPanelDead is
// dropped, so the agent goes on with the terminal.
type screens struct {
	mu  sync.Mutex
	all []*screenEntry
	log *slog.Logger
}

// add appends a screen; release, if not nil, runs when it is closed or dropped.
func (s *screens) add(name string, sc display.Screen, release func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, &screenEntry{name: name, sc: sc, release: release})
}

// len returns the number of screens in use.
func (s *screens) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all)
}

func (s *screens) Show(v view) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dv := toDisplayView(v)
	var errs []error
	for _, e := range s.all {
		if err := s.failed(e, e.sc.Show(dv)); err != nil {
			errs = append(errs, err)
		}
	}
	s.prune()
	return errors.Join(errs...)
}

var _ waker = (*screens)(nil)

// Wake wakes every screen that dims after a while (display.PixelScreen's
// burn-in sleep): the supervisor calls it for each button press.
func (s *screens) Wake() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.all {
		w, ok := e.sc.(interface{ Wake() error })
		if !ok {
			continue
		}
		if err := s.failed(e, w.Wake()); err != nil {
			s.log.Debug("cannot wake screen", "screen", e.name, "err", err)
		}
	}
	s.prune()
}

// failed records the outcome of one operation on e, with s.mu held. A
// dead panel is logged once and marked for prune; a transient panel error
// is logged at debug once per run of failures and otherwise ignored (the
// guard counts it). Other screens' errors (the terminal) are returned.
func (s *screens) failed(e *screenEntry, err error) error {
	if err == nil {
		e.failing = false
		return nil
	}
	if e.release == nil {
		return err // not a board panel: the supervisor says it once
	}
	if errors.Is(err, board.ErrPanelDead) {
		if s.log != nil {
			s.log.Error("display panel stopped answering; going on without it (check its wiring, power and bus, then restart the agent)",
				"panel", e.name, "err", err)
		}
		e.sc = nil
		return nil
	}
	if !e.failing && s.log != nil {
		s.log.Debug("display panel failed; retrying on the next update", "panel", e.name, "err", err)
	}
	e.failing = true
	return nil
}

// prune drops the dead panels (e.sc == nil) and releases their buses, with
// s.mu held.
func (s *screens) prune() {
	kept := s.all[:0]
	for _, e := range s.all {
		if e.sc != nil {
			kept = append(kept, e)
			continue
		}
		if e.release != nil {
			_ = e.release() // the panel is gone; its Halt fails too
		}
	}
	clear(s.all[len(kept):])
	s.all = kept
}

// tick ticks one screen and handles the outcome like Show; it reports
// whether the screen is still in use.
func (s *screens) tick(e *screenEntry, t display.Ticker, now time.Time) bool {
	err := t.Tick(now)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.sc == nil || !slices.Contains(s.all, e) {
		return false // dropped by a Show meanwhile
	}
	if err := s.failed(e, err); err != nil && s.log != nil {
		s.log.Debug("display tick failed", "screen", e.name, "err", err)
	}
	s.prune()
	return e.sc != nil
}

// animate ticks every screen (countdown bars, scrolling) until ctx ends or
// the screen is dropped.
func (s *screens) animate(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.all {
		t, ok := e.sc.(display.Ticker)
		if !ok {
			continue
		}
		interval := display.TickInterval
		if iv, ok := e.sc.(interface{ Interval() time.Duration }); ok && iv.Interval() > 0 {
			interval = iv.Interval()
		}
		go func() {
			tk := time.NewTicker(interval)
			defer tk.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case now := <-tk.C:
					if !s.tick(e, t, now) {
						return
					}
				}
			}
		}()
	}
}

func (s *screens) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, e := range s.all {
		errs = append(errs, e.sc.Close())
		if e.release != nil {
			errs = append(errs, e.release())
		}
	}
	s.all = nil
	return errors.Join(errs...)
}

// isTTY reports whether w is a character device (a terminal).
func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// openScreens opens the configured display. The terminal is always there
// unless display = none; a panel that cannot be opened is logged and the
// agent goes on with the terminal (a board may lose its display). The panel
// is wrapped in a board guard, so one that dies later is dropped too.
func openScreens(cfg *Config, stdout io.Writer, log *slog.Logger) *screens {
	s := &screens{log: log}
	kind := cfg.Display
	if kind == "none" {
		return s
	}
	s.add("terminal", display.NewTerminal(stdout, display.TerminalOptions{TTY: isTTY(stdout)}), nil)
	if kind == "terminal" {
		return s
	}
	p, err := board.Open(panelConfig(cfg))
	switch {
	case err != nil && kind == "auto":
		log.Info("no panel found; using the terminal", "reason", err)
	case err != nil:
		log.Error("cannot open the display; using the terminal", "display", kind, "err", err)
	default:
		addPanel(s, p, cfg.DimAfter, log)
	}
	return s
}

// addPanel puts an opened panel, guarded, on s; a panel display cannot use
// is closed and logged.
func addPanel(s *screens, p *board.Panel, dimAfter time.Duration, log *slog.Logger) {
	var sc display.Screen
	var err error
	switch {
	case p.Drawer != nil:
		po := display.DefaultPixelOptions
		if p.EPaper {
			po = display.EPaperOptions
		}
		po.SleepAfter = dimAfter
		sc, err = display.NewPixelScreen(guardDrawer(p.Drawer), po)
	case p.Text != nil:
		sc, err = display.NewTextScreen(board.GuardText(p.Text, 0), p.Cols, p.Rows, display.TextOptions{})
	default:
		p.Close()
		return
	}
	if err != nil {
		log.Error("cannot use the panel", "panel", p.Name, "err", err)
		p.Close()
		return
	}
	log.Info("display", "panel", p.Name)
	s.add(p.Name, sc, p.Close)
}

// contraster is the optional method PixelScreen dims an OLED with.
type contraster interface{ SetContrast(level uint8) error }

// contrastGuard is a guarded drawer that keeps the panel's SetContrast:
// board.GuardedDrawer embeds the Drawer interface only, which would hide
// it and make dim-after blank an SSD1306 instead of dimming it.
type contrastGuard struct {
	*board.GuardedDrawer
	c contraster
}

func (g contrastGuard) SetContrast(level uint8) error { return g.c.SetContrast(level) }

// guardDrawer wraps d in board's guard, keeping SetContrast when d has it.
func guardDrawer(d pdisplay.Drawer) pdisplay.Drawer {
	g := board.GuardDrawer(d, 0)
	if c, ok := d.(contraster); ok {
		return contrastGuard{g, c}
	}
	return g
}

// describeScreens names the screens for the log.
func describeScreens(s *screens) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for _, e := range s.all {
		names = append(names, e.name)
	}
	return strings.Join(names, ",")
}
