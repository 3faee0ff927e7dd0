package display_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/boardlogin/boardlogin/display"
)

// The pure character layout of a 16x2 LCD.
func ExampleTextLines() {
	issued := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	v := display.View{
		State:           display.AwaitingUser,
		UserCode:        "WDJB-MJHT",
		VerificationURI: "https://example.com/device",
		Issued:          issued,
		ExpiresAt:       issued.Add(15 * time.Minute),
	}
	for _, l := range display.TextLines(v, 16, 2, issued.Add(time.Minute), 0) {
		fmt.Printf("|%s|\n", l)
	}
	// Output:
	// |WDJB-MJHT    14m|
	// |example.com/devi|
}

// A screen on a PNG file, ticked by Animate: what cmd/agent does with a
// panel from board/ instead of the sink.
func ExampleNewPixelScreen() {
	dir, _ := os.MkdirTemp("", "display")
	defer os.RemoveAll(dir)
	sink, err := display.NewPNGSink(filepath.Join(dir, "panel.png"), 128, 64)
	if err != nil {
		fmt.Println(err)
		return
	}
	screen, err := display.NewPixelScreen(sink, display.DefaultPixelOptions)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer screen.Close()
	if err := screen.Show(display.View{State: display.SignedIn, Account: "alice@contoso.com"}); err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	// An interval of 0 takes the screen's own Interval().
	if err := display.Animate(ctx, screen, 50*time.Millisecond, nil); err != nil {
		fmt.Println(err)
	}
	fmt.Println(screen.Class(), sink.Frames())
	// Output: 128x64 1
}

// The terminal: plain text when the writer is not a TTY.
func ExampleNewTerminal() {
	term := display.NewTerminal(os.Stdout, display.TerminalOptions{TTY: false})
	term.Show(display.View{State: display.NoNetwork})
	// Output:
	//
	//   No network
	//   cannot reach the sign-in service
	//   check the cable or Wi-Fi
}
