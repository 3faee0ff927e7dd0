package mqtt_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/boardlogin/boardlogin/mqtt"
)

// The agent's side: dial once, publish state and tokens, react to sign-out.
func ExampleDial() {
	ctx := context.Background()
	c, err := mqtt.Dial(ctx, mqtt.Options{
		Broker:       "ssl://broker.lan:8883",
		Username:     "boardlogin",
		PasswordFile: "/etc/boardlogin/mqtt.pass",
		CAFile:       "/etc/boardlogin/broker-ca.pem",
	})
	if err != nil {
		log.Fatal(err) // bad options or refused credentials; a down broker is no error
	}
	defer c.Close(ctx)
	_ = c.PublishState(ctx, mqtt.State{State: mqtt.StateSignedIn, Account: "ada@contoso.example"})
	err = c.PublishToken(ctx, "graph", mqtt.Token{
		AccessToken: "eyJ0eXAi...",
		TokenType:   "Bearer",
		ExpiresAt:   time.Now().Add(time.Hour),
		Scopes:      []string{"https://graph.microsoft.com/User.Read"},
	})
	if err != nil {
		log.Print(err) // ErrNotConnected: it goes out on reconnect
	}
	<-c.SignOutRequests()
	_ = c.ClearToken(ctx, "graph")
}

// The consumer's side, as `boardlogin token graph` uses it.
func ExampleReadToken() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t, err := mqtt.ReadToken(ctx, mqtt.Options{Broker: "tcp://localhost:1883", Prefix: "devicecode/board7"}, "graph")
	if err != nil {
		log.Fatal(err) // wraps mqtt.ErrNoToken or mqtt.ErrTokenExpired
	}
	fmt.Println(t.AccessToken)
}

// The consumer's side of a sign-out, as `boardlogin logout` uses it: the
// running agent is told, then the retained tokens are cleared.
func ExampleSignOut() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := mqtt.SignOut(ctx, mqtt.Options{Broker: "tcp://localhost:1883", Prefix: "devicecode/board7"}, []string{"graph"})
	if res.Sent {
		fmt.Println("sent sign-out on", res.Topic)
	}
	for _, p := range res.Cleared {
		fmt.Println("cleared token", p)
	}
	if err != nil {
		log.Fatal(err) // says which step failed and whether the agent was told
	}
}

// CheckOptions refuses what Dial would, without connecting: a config
// checker reports the field to fix.
func ExampleCheckOptions() {
	err := mqtt.CheckOptions(mqtt.Options{Broker: "tcp://localhost:1883", CAFile: "/etc/boardlogin/broker-ca.pem"})
	var oe *mqtt.OptionsError
	if errors.As(err, &oe) {
		fmt.Println(oe.Field+":", err)
	}
	// Output: Broker: mqtt: TLS files or server name given for tcp://: use ssl:// or wss://
}
