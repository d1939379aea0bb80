package live

import (
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/trelab/airlock/backend/airlock"
)

// ServeWS upgrades an authenticated request to a WebSocket and streams the events user may
// see until the client goes away, falls behind, logs out or the hub closes. The caller has
// authenticated the request; sessionKey identifies its session for CloseSession. On a
// refused Origin it answers 403 itself.
func (h *Hub) ServeWS(w http.ResponseWriter, r *http.Request, user airlock.User, sessionKey string) error {
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return err // the upgrader has answered the client
	}
	c := &client{user: user, sessionKey: sessionKey, conn: conn, send: make(chan *websocket.PreparedMessage, h.cfg.SendBuffer)}
	hello, err := prepare(airlock.Event{Type: airlock.EventHello, User: user.Username})
	if err != nil {
		_ = conn.Close()
		return err
	}
	c.send <- hello
	if !h.add(c) {
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"),
			time.Now().Add(time.Second))
		return conn.Close()
	}
	expire := time.AfterFunc(h.cfg.MaxLifetime, func() {
		h.mu.Lock()
		h.removeLocked(c, websocket.CloseGoingAway, "connection lifetime reached; reconnect")
		h.mu.Unlock()
	})
	done := make(chan struct{})
	go func() {
		<-done
		expire.Stop()
	}()
	go h.writePump(c, done)
	go h.readPump(c, done)
	return nil
}

// readPump reads (and discards) client frames so that pongs and close frames are seen; it
// unregisters the client when the connection fails or a pong is overdue.
func (h *Hub) readPump(c *client, done <-chan struct{}) {
	defer h.remove(c)
	c.conn.SetReadLimit(h.cfg.ReadLimit)
	_ = c.conn.SetReadDeadline(time.Now().Add(h.cfg.PongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(h.cfg.PongWait))
	})
	for {
		if _, _, err := c.conn.ReadMessage(); err != nil {
			return
		}
		select {
		case <-done:
			return
		default:
		}
	}
}

// writePump is the connection's only writer: queued events, pings, and the final close.
func (h *Hub) writePump(c *client, done chan<- struct{}) {
	ticker := time.NewTicker(h.cfg.PingPeriod)
	defer func() {
		ticker.Stop()
		_ = c.conn.Close()
		close(done)
		h.wg.Done()
	}()
	for {
		select {
		case msg, ok := <-c.send:
			if !ok {
				if c.closeCode != 0 {
					_ = c.conn.WriteControl(websocket.CloseMessage,
						websocket.FormatCloseMessage(c.closeCode, c.closeText),
						time.Now().Add(h.cfg.WriteWait))
				}
				return
			}
			_ = c.conn.SetWriteDeadline(time.Now().Add(h.cfg.WriteWait))
			if err := c.conn.WritePreparedMessage(msg); err != nil {
				h.remove(c)
				return
			}
		case <-ticker.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(h.cfg.WriteWait)); err != nil {
				h.remove(c)
				return
			}
		}
	}
}
