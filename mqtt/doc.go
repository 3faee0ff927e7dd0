// Package mqtt publishes the agent's state and access tokens to local MQTT
// consumers, and reads them back for scripts. It is the only package of
// boardlogin that imports paho (github.com/eclipse/paho.mqtt.golang); its API
// is small, context-aware and uses plain types, so cmd/agent never sees paho.
//
// The topics follow the v1 contract (DESIGN.md §3), under a prefix that
// defaults to "devicecode/<hostname>":
//
//	<prefix>/status          retained, "online" / "offline" (the LWT)
//	<prefix>/state           retained, JSON State
//	<prefix>/token/<profile> retained, QoS 1, JSON (default) or CBOR Token
//	<prefix>/cmd/signout     subscribed; any payload asks for a sign-out
//
// Only what a consumer needs leaves the board: the types here have no field
// for refresh tokens, id tokens or device codes, so they cannot be published.
//
// Robustness: Dial returns at once even when the broker is down and keeps
// connecting in the background with a capped, jittered backoff. The package
// runs its own connection loop instead of paho's AutoReconnect and
// ConnectRetry: each connection is a fresh paho client with a clean session,
// so paho's store never replays stale publishes, and nothing queues while the
// broker is away. Instead the Client remembers the latest state and the
// latest token of each profile (memory bounded by the number of profiles) and
// republishes them on every (re)connect, after "online". A token that expired
// meanwhile is cleared (an empty retained message) instead. Every publish
// waits for its PUBACK with a timeout, so failures surface as errors; a
// missing PUBACK also drops the connection, so a half-dead link is replaced
// at once instead of after keep-alive notices it. While the broker is away,
// publishing returns an error wrapping ErrNotConnected and the value waits,
// as the latest one, for the reconnect.
//
// ReadToken and SignOut are the consumer side, for scripts and `boardlogin
// token` / `boardlogin logout`: one short connection each, with a client id
// of their own and no will, so they never pose as the agent on
// <prefix>/status.
//
// Dial waits for the first connection attempt only: a refused connection
// returns at once, an unanswered one after ConnectTimeout. A broker that
// rejects the credentials is an error from Dial. Options that cannot work
// (a CA file without a certificate, a password file of two lines, ...) are
// an *OptionsError naming the field, from Dial, ReadToken and SignOut
// before any traffic, and from CheckOptions without any.
//
// Package embedbroker, beside this one, runs an in-process broker for the
// agent's demo.
package mqtt
