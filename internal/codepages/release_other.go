//go:build !linux

package codepages

import "errors"

// Release unmaps the resident pages of the running executable's code and
// read-only data and reports how many bytes were resident in them. Only
// Linux is supported; elsewhere it returns errors.ErrUnsupported.
func Release() (int64, error) { return 0, errors.ErrUnsupported }
