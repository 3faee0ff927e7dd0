package mosquittotest

import (
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// wsBridge accepts MQTT-over-websocket connections (subprotocol "mqtt") and
// carries their binary frames to the broker's TCP listener, and back.
type wsBridge struct {
	ln      net.Listener
	srv     *http.Server
	backend string // host:port of the broker's TCP listener

	mu    sync.Mutex
	conns map[*websocket.Conn]net.Conn
}

func startWSBridge(ln net.Listener, backend string) *wsBridge {
	b := &wsBridge{ln: ln, backend: backend, conns: map[*websocket.Conn]net.Conn{}}
	up := websocket.Upgrader{
		Subprotocols: []string{"mqtt"},
		CheckOrigin:  func(*http.Request) bool { return true },
	}
	b.srv = &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws, err := up.Upgrade(w, r, nil)
			if err != nil {
				return // Upgrade has answered with an HTTP error
			}
			tcp, err := net.DialTimeout("tcp", b.backend, 5*time.Second)
			if err != nil {
				ws.Close()
				return
			}
			b.mu.Lock()
			b.conns[ws] = tcp
			b.mu.Unlock()
			b.pipe(ws, tcp)
		}),
	}
	go b.srv.Serve(ln)
	return b
}

// pipe copies both ways until either side ends, then closes both.
func (b *wsBridge) pipe(ws *websocket.Conn, tcp net.Conn) {
	defer func() {
		b.mu.Lock()
		delete(b.conns, ws)
		b.mu.Unlock()
		ws.Close()
		tcp.Close()
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 32<<10)
		for {
			n, err := tcp.Read(buf)
			if n > 0 {
				if werr := ws.WriteMessage(websocket.BinaryMessage, buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				ws.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.CloseGoingAway, "broker gone"),
					time.Now().Add(time.Second))
				return
			}
		}
	}()
	for {
		_, r, err := ws.NextReader()
		if err != nil {
			break
		}
		if _, err := io.Copy(tcp, r); err != nil {
			break
		}
	}
	tcp.Close()
	<-done
}

// dropAll closes every bridged connection, as a dying broker would.
func (b *wsBridge) dropAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ws, tcp := range b.conns {
		ws.Close()
		tcp.Close()
	}
}

func (b *wsBridge) close() {
	b.srv.Close()
	b.dropAll()
}
