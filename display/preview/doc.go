// Package preview shows what a panel would show in a web browser: it wraps
// periph's videosink, a display.Drawer that streams its frames over HTTP
// (a multipart stream of PNG frames that browsers show as a live picture),
// so the layouts can be watched without hardware.
//
// It is a sub-package because videosink lives in periph's devices module and
// package display stays free of drivers. Serve it on loopback only.
package preview
