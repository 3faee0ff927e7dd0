// Package display turns the agent's state (a View) into pixels or lines of
// text for the board's panel, the terminal, or a PNG file.
//
// It knows pixels and text only: board/ opens buses and constructs periph
// drivers and hands this package a periph display.Drawer (pixels) or a
// display.TextDisplay (characters). This package imports neither periph host
// nor device drivers, nor the OAuth or MQTT packages.
//
// Layout is pure: DrawView draws a View, a time and a step (page or scroll
// offset) into a 1-bit frame, and TextLines returns the lines of a character
// panel; both are golden-tested (go test ./display -update rewrites the
// goldens in testdata/). The screens around them (PixelScreen, TextScreen,
// Terminal, PNGSink) keep one frame each, redraw only when the frame changed,
// and implement Screen.
//
// Fonts: text is drawn from 1-bit bitmaps of basicfont 7x13 and Go Mono
// Bold (8 to 48 pixels) in fonts_generated.go, which go generate ./display
// writes with internal/fontgen. The agent thus links no font rasteriser and
// builds nothing on its first frame; a test re-rasterises the faces with
// opentype and fails when the file is stale or was edited by hand.
//
// Time: a View holds absolute times (the code's expiry, the token's
// expiry), so the countdown moves without a new View. Every screen has a
// Tick(now) method and an Interval() saying how often it wants it (40 ms
// for a scrolling 32x8 matrix, a second for an OLED or e-paper panel); the
// caller (cmd/agent) runs Animate(ctx, screen, 0, nil) beside its Show
// calls. Show draws with the screen's own clock (the Now option, default
// time.Now). Nothing in this package starts a goroutine, so tests drive the
// clock by hand. Screens are safe for concurrent Show and Tick.
//
// Secrets: a View has no field for the device code or any token, so no
// screen can show one.
package display
