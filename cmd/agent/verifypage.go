//go:build !nodemo

package main

import (
	"html/template"
	"net/http"
	"strings"
)

// approver is the part of the demo identity provider a person plays
// through the verification page. *entratest.Server implements it.
type approver interface {
	Approve(userCode string) error
	Decline(userCode string) error
}

// verifyPage is the demo's stand-in for https://microsoft.com/devicelogin:
// an HTML form where a person types the user code and approves or declines
// the sign-in. It accepts ?code= to prefill the field (the QR code's
// verification_uri_complete).
type verifyPage struct {
	idp approver
}

var verifyTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>boardlogin demo: sign in a device</title>
<style>
body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}input{font-size:1.4rem;letter-spacing:.15em;text-transform:uppercase;width:100%;box-sizing:border-box;padding:.4rem}
button{font-size:1rem;padding:.5rem 1.2rem;margin:.8rem .5rem 0 0}
.ok{color:#0a6b0a}.err{color:#a00}small{color:#555}
</style></head><body>
<h1>Sign in a device</h1>
{{if .Result}}<p id="result" class="{{.Class}}">{{.Result}}</p>{{end}}
<form method="post" action="/devicelogin">
<label for="code">Enter the code shown on the board</label><br>
<input id="code" name="code" value="{{.Code}}" autocomplete="off" autofocus required maxlength="16">
<br><button id="approve" type="submit" name="action" value="approve">Approve</button>
<button id="decline" type="submit" name="action" value="decline">Decline</button>
</form>
<p><small>This page is part of <code>boardlogin demo</code>: it plays Microsoft's
device login page for the embedded test identity provider. Approving signs the
board in as the demo user; no real account is involved.</small></p>
</body></html>
`))

type pageData struct{ Code, Result, Class string }

func (p *verifyPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		verifyTmpl.Execute(w, pageData{Code: r.URL.Query().Get("code")})
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if err := r.ParseForm(); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			verifyTmpl.Execute(w, pageData{Result: "The form could not be read.", Class: "err"})
			return
		}
		code := strings.ToUpper(strings.TrimSpace(r.PostForm.Get("code")))
		var err error
		var ok string
		switch r.PostForm.Get("action") {
		case "approve":
			err, ok = p.idp.Approve(code), "Approved. The board is signed in; you can close this page."
		case "decline":
			err, ok = p.idp.Decline(code), "Declined. The board will show a new code shortly."
		default:
			w.WriteHeader(http.StatusBadRequest)
			verifyTmpl.Execute(w, pageData{Code: code, Result: "Press Approve or Decline.", Class: "err"})
			return
		}
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			verifyTmpl.Execute(w, pageData{Code: code, Result: "That code is not valid (mistyped, already used or expired). Check the board's display.", Class: "err"})
			return
		}
		verifyTmpl.Execute(w, pageData{Result: ok, Class: "ok"})
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
