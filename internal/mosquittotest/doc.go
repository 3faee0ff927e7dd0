// Package mosquittotest starts a real Mosquitto broker (Debian's package) for
// tests: one broker per test, on free loopback ports, with a generated
// configuration in t.TempDir(), stopped by t.Cleanup.
//
// Variants are chosen with Options: anonymous (the default), a password file
// with an ACL, a TLS listener with a CA, server and client certificate
// generated in Go (no openssl), persistence of retained messages across
// restarts, and a ws:// listener. Kill, Stop and Restart let a test take the
// broker away mid-session and bring it back on the same ports.
//
// Debian bookworm's mosquitto 2.0.11 is built without libwebsockets, so the
// ws:// listener is a small in-process bridge (gorilla/websocket, the library
// paho itself uses for ws://) that carries each websocket connection's binary
// frames to the broker's plain TCP listener. Everything on the MQTT side is
// still answered by Mosquitto.
//
// Subscribe watches topics with mosquitto_sub (package mosquitto-clients), so
// tests outside package mqtt can observe what the agent publishes without
// importing paho.
//
// A missing mosquitto or mosquitto_sub fails the test (testenv.RequireCommand);
// it never skips.
package mosquittotest
