package devicecode

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// The README's table of errors names every AADSTS code the package sorts
// into a class, so a code added here is also explained there.
func TestReadmeExplainsEveryClassifiedCode(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const heading = "### When the display or the log shows an error"
	_, section, ok := strings.Cut(string(b), heading)
	if !ok {
		t.Fatalf("README has no section %q", heading)
	}
	section, _, _ = strings.Cut(section, "\n### ")
	for name, codes := range map[string][]int{
		"needsSignInCodes": needsSignInCodes, "configCodes": configCodes, "scopeCodes": scopeCodes,
		"policyCodes": policyCodes, "transientCodes": transientCodes,
	} {
		for _, c := range codes {
			if !strings.Contains(section, "`AADSTS"+strconv.Itoa(c)+"`") {
				t.Errorf("README's error table does not explain AADSTS%d (%s)", c, name)
			}
		}
	}
}
