package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/switchboard"
)

// The browser phone's signalling (issue 25): a listener's page opens a
// WebSocket at /phone, which is their switchboard.Session for as long as
// the page stays open. The server tells the page switchboard.Event's as
// JSON; the page sends phoneMessage's.
const (
	// maxPhoneMessage is the largest message a page may send: an SDP offer
	// without trickle ICE is a few KiB.
	maxPhoneMessage = 64 << 10
	// phonePing is how often the server asks whether the page is still
	// there, and phonePong how long the page has to answer: a tab that went
	// without closing its socket (a tablet asleep, its network lost) hangs
	// up its call within phonePing+phonePong.
	phonePing = 10 * time.Second
	phonePong = 5 * time.Second
	// phoneWrite is how long an event may take to reach the page.
	phoneWrite = 5 * time.Second
)

// phoneSignedOut is the error code that tells a page its session ended:
// nothing was called, and the socket closes.
const phoneSignedOut = "signed_out"

// phoneMessage is what a page asks of its phone: {"type":"call","case":N,
// "sdp":"…"} calls the person of case N with the browser's offer (all its
// ICE candidates gathered), {"type":"accept","ring":R,"sdp":"…"} takes the
// call of a person who pressed 2 that the page was rung for (event ring R)
// with the browser's offer, {"type":"hangup"} ends the call going on.
type phoneMessage struct {
	Type string `json:"type"`
	Case int64  `json:"case"`
	Ring int64  `json:"ring"`
	SDP  string `json:"sdp"`
}

// mayPhone is whether u works on cases, and so may call from them.
func mayPhone(u wellcheck.User) bool {
	return !u.Disabled && (u.Has(wellcheck.RoleListener) || u.Has(wellcheck.RoleCoordinator) || u.Has(wellcheck.RoleAdmin))
}

// phone is a page's telephone: the WebSocket between the page and its
// switchboard session. coder/websocket's Accept refuses a page of another
// origin (the WebSocket's CSRF guard: browsers send cookies with a
// cross-site WebSocket). The session ends with the socket — the page
// closed, the network gone, a ping unanswered — which hangs up its call on
// both sides.
func (s *Server) phone(w http.ResponseWriter, r *http.Request, sess session) error {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		// Accept answered: 426 to a request that does not upgrade, 403 to
		// another origin.
		s.Logger.WarnContext(r.Context(), "phone socket refused", "user_id", sess.UserID, "err", err)
		return nil
	}
	defer conn.CloseNow()
	conn.SetReadLimit(maxPhoneMessage)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	log := s.Logger.With("user_id", sess.UserID)

	send := func(e switchboard.Event) {
		b, err := json.Marshal(e)
		if err != nil {
			log.ErrorContext(ctx, "phone event", "err", err)
			return
		}
		wctx, stop := context.WithTimeout(ctx, phoneWrite)
		defer stop()
		if err := conn.Write(wctx, websocket.MessageText, b); err != nil {
			log.DebugContext(ctx, "phone event not sent", "type", e.Type, "err", err)
			cancel() // a page that cannot be told is gone
		}
	}
	go func() {
		t := time.NewTicker(phonePing)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			pctx, stop := context.WithTimeout(ctx, phonePong)
			err := conn.Ping(pctx)
			stop()
			if err != nil {
				log.DebugContext(ctx, "phone page gone", "err", err)
				cancel()
				return
			}
		}
	}()

	session := s.Phone.Open(sess.User, send)
	var calls sync.WaitGroup
	defer func() {
		cancel()
		calls.Wait() // a call being answered is in the session before it closes
		session.Close()
		_ = conn.Close(websocket.StatusNormalClosure, "")
	}()
	for {
		kind, data, err := conn.Read(ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) && websocket.CloseStatus(err) == -1 {
				log.DebugContext(ctx, "phone socket ended", "err", err)
			}
			return nil
		}
		var m phoneMessage
		if kind != websocket.MessageText || json.Unmarshal(data, &m) != nil {
			log.DebugContext(ctx, "phone message ignored: not JSON", "bytes", len(data))
			continue
		}
		switch {
		case m.Type == "call" && m.Case > 0 && m.SDP != "":
			// The page may have outlived its session (signed out
			// elsewhere, idle too long): a call is the user's activity,
			// and needs the session still alive.
			if _, ok := s.current(r, true); !ok {
				send(switchboard.Event{Type: "error", Error: phoneSignedOut, Case: m.Case})
				return nil
			}
			calls.Go(func() { session.Call(ctx, m.Case, m.SDP) })
		case m.Type == "accept" && m.Ring > 0 && m.SDP != "":
			// Taking a person's call is the user's activity too.
			if _, ok := s.current(r, true); !ok {
				send(switchboard.Event{Type: "error", Error: phoneSignedOut, Ring: m.Ring})
				return nil
			}
			calls.Go(func() { session.Accept(ctx, m.Ring, m.SDP) })
		case m.Type == "hangup":
			session.HangUp()
		default:
			log.DebugContext(ctx, "phone message ignored", "type", truncate(m.Type, 32))
		}
	}
}
