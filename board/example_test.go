package board_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log"

	"github.com/boardlogin/boardlogin/board"
	"periph.io/x/conn/v3/i2c/i2ctest"
)

func ExampleOpen() {
	p, err := board.Open(board.PanelConfig{Kind: board.KindAuto})
	if errors.Is(err, board.ErrNoPanel) {
		log.Printf("no panel, using the terminal: %v", err)
		return
	}
	if err != nil {
		log.Fatal(err) // one line that says what to fix
	}
	defer p.Close()
	log.Printf("panel: %s", p.Name)
	if p.Drawer != nil {
		// Guard the panel so a loose wire ends in a fallback, not a loop of
		// errors.
		d := board.GuardDrawer(p.Drawer, 0)
		img := image.NewGray(d.Bounds())
		if err := d.Draw(d.Bounds(), img, image.Point{}); errors.Is(err, board.ErrPanelDead) {
			log.Printf("panel gone, using the terminal: %v", err)
		}
	}
}

func ExampleOpen_oledAt3D() {
	// A 128x32 SSD1306 with its address jumper moved to 0x3D, on bus 1.
	p, err := board.Open(board.PanelConfig{
		Kind:    board.KindSSD1306I2C,
		I2CBus:  "1",
		I2CAddr: 0x3D,
		Height:  32,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
}

func ExampleDetect() {
	// A bus with an SSD1306 at 0x3C: the playback scripts the one-byte
	// read Detect makes there and would fail on any write.
	bus := &i2ctest.Playback{Ops: []i2ctest.IO{{Addr: 0x3C, R: []byte{0x43}}}}
	kind, addr, err := board.Detect(bus)
	fmt.Println(kind, fmt.Sprintf("%#x", addr), err)
	// Output: ssd1306-i2c 0x3c <nil>
}

func ExampleOpenButton() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	presses, err := board.OpenButton(ctx, board.ButtonConfig{Pin: "GPIO27"})
	if err != nil {
		log.Fatal(err)
	}
	for p := range presses {
		if p.Long {
			log.Print("sign out")
		} else {
			log.Print("show status")
		}
	}
}
