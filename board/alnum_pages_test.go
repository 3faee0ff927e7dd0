package board

import (
	"strings"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/display"
	"periph.io/x/conn/v3/i2c/i2ctest"
)

// display's pages for a 4-character 14-segment display and the HT16K33
// driver agree: every page fills all four digits (a '.' lights the digit
// before it), so no character of the previous page stays behind, and the
// address keeps its hyphens.
func TestAlnumShowsEachPageWhole(t *testing.T) {
	for uri, want := range map[string]string{
		"https://microsoft.com/devicelogin":           "MICROSOFT.COM/DEVICELOGIN",
		"https://device.sso.us-east-1.amazonaws.com/": "DEVICE.SSO.US-EAST-1.AMAZONAWS.COM",
		"https://login.my-company.example/device":     "LOGIN.MY-COMPANY.EXAMPLE/DEVICE",
	} {
		t.Run(uri, func(t *testing.T) {
			a, err := NewAlnum(&i2ctest.Record{}, AddrHT16K33)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			now := t0
			s, err := display.NewTextScreen(a, 0, 0, display.TextOptions{Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			v := display.View{State: display.AwaitingUser, UserCode: "WDJB-MJHT", VerificationURI: uri, Issued: t0, ExpiresAt: t0.Add(15 * time.Minute)}
			if err := s.Show(v); err != nil {
				t.Fatal(err)
			}
			var text string
			for step := 0; step < 24; step++ {
				page := display.TextLines(v, 4, 1, now, step)[0]
				shown := ""
				for _, c := range a.shown {
					shown += string(max(c.r, ' '))
					if c.dot {
						shown += "."
					}
				}
				if shown != page {
					t.Fatalf("step %d: page %q, panel shows %q", step, page, shown)
				}
				text += page
				now = now.Add(1500 * time.Millisecond)
				if err := s.Tick(now); err != nil {
					t.Fatal(err)
				}
			}
			if got := strings.ReplaceAll(text, " ", ""); !strings.Contains(got, want) {
				t.Errorf("the pages read %q; want the address %q whole", got, want)
			}
		})
	}
}
