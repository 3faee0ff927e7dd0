package faults

import (
	"os"
	"testing"

	"github.com/boardlogin/boardlogin/internal/testenv"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.RemoveBuilds()
	os.Exit(code)
}
