package devicecode_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/boardlogin/boardlogin/devicecode"
	"github.com/boardlogin/boardlogin/devicecode/entratest"
)

var sprintf = fmt.Sprintf

func TestSmoke(t *testing.T) {
	e := newEnv(t, entratest.Options{ApproveAfterPolls: 3}, nil)
	ctx := context.Background()
	dc, err := e.c.RequestCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v", dc)
	tok, err := e.c.PollToken(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v %+v", tok, tok.Account)
	for _, r := range e.srv.Requests() {
		t.Logf("%s %s %s %d", r.Time.Format(time.TimeOnly), r.Endpoint, r.GrantType, r.Status)
	}
	_ = errors.Is
	_ = devicecode.ErrDeclined
}
