package codepages_test

import (
	"log/slog"

	"github.com/boardlogin/boardlogin/internal/codepages"
)

// A daemon releases its code pages when start-up is over and before each
// long sleep.
func ExampleRelease() {
	released, err := codepages.Release()
	if err != nil {
		slog.Debug("code pages kept", "err", err)
		return
	}
	slog.Debug("code pages released", "kB", released>>10)
}
