package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/boardlogin/boardlogin/board"
	"github.com/boardlogin/boardlogin/display"
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
	case viewStopped:
		// display has no "stopped" state: an error screen that says so.
		d.State, d.Hint = display.Error, "the agent is not running"
	}
	return d
}

// screens shows each view on every screen; one failing screen does not
// keep the others dark.
type screens struct {
	mu  sync.Mutex
	all []display.Screen
}

func (s *screens) Show(v view) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dv := toDisplayView(v)
	var errs []error
	for _, sc := range s.all {
		if err := sc.Show(dv); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// animate ticks every screen (countdown bars, scrolling) until ctx ends.
func (s *screens) animate(ctx context.Context, log *slog.Logger) {
	for _, sc := range s.all {
		if t, ok := sc.(display.Ticker); ok {
			go func() {
				if err := display.Animate(ctx, t, display.TickInterval, nil); err != nil {
					log.Warn("display tick failed", "err", err)
				}
			}()
		}
	}
}

func (s *screens) Close() error {
	var errs []error
	for _, sc := range s.all {
		errs = append(errs, sc.Close())
	}
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
// agent goes on with the terminal (a board may lose its display).
func openScreens(cfg *Config, stdout io.Writer, log *slog.Logger) (*screens, func() error) {
	s := &screens{}
	closers := []func() error{}
	kind := cfg.Display
	if kind == "none" {
		return s, func() error { return nil }
	}
	s.all = append(s.all, display.NewTerminal(stdout, display.TerminalOptions{TTY: isTTY(stdout)}))
	if kind == "terminal" {
		return s, func() error { return nil }
	}
	p, err := board.Open(panelConfig(cfg))
	switch {
	case err != nil && kind == "auto":
		log.Info("no panel found; using the terminal", "reason", err)
	case err != nil:
		log.Error("cannot open the display; using the terminal", "display", kind, "err", err)
	case p.Drawer != nil:
		po := display.DefaultPixelOptions
		if p.EPaper {
			po = display.EPaperOptions
		}
		po.SleepAfter = cfg.DimAfter
		ps, err := display.NewPixelScreen(p.Drawer, po)
		if err != nil {
			log.Error("cannot use the panel", "panel", p.Name, "err", err)
			p.Close()
			break
		}
		log.Info("display", "panel", p.Name)
		s.all = append(s.all, ps)
		closers = append(closers, p.Close)
	case p.Text != nil:
		ts, err := display.NewTextScreen(p.Text, p.Cols, p.Rows, display.TextOptions{})
		if err != nil {
			log.Error("cannot use the panel", "panel", p.Name, "err", err)
			p.Close()
			break
		}
		log.Info("display", "panel", p.Name)
		s.all = append(s.all, ts)
		closers = append(closers, p.Close)
	default:
		closers = append(closers, p.Close)
	}
	return s, func() error {
		err := s.Close()
		for _, c := range closers {
			err = errors.Join(err, c())
		}
		return err
	}
}

// describeScreens names the screens for the log.
func describeScreens(s *screens) string {
	var names []string
	for _, sc := range s.all {
		names = append(names, fmt.Sprintf("%T", sc))
	}
	return strings.Join(names, ",")
}
