package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// openapi.json describes exactly the routes the API serves: the same paths
// and methods, and no token asked only where the route needs none.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	var doc struct {
		Paths map[string]map[string]struct {
			Security *[]any `json:"security"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(openAPIDocument, &doc))
	described := map[string]bool{} // "GET /cases/{id}" → public
	for path, ops := range doc.Paths {
		for method, op := range ops {
			described[strings.ToUpper(method)+" "+path] = op.Security != nil && len(*op.Security) == 0
		}
	}
	served := map[string]bool{}
	for _, rt := range (&Server{}).apiRoutes() {
		served[rt.method+" "+rt.path] = rt.public
	}
	require.Equal(t, served, described)
}

// FuzzAPIBody: whatever a client sends, each body either decodes (and then
// survives a round trip, and a follow-up converts to a record or to problems)
// or is a 400 that says why; never a panic, never another error.
func FuzzAPIBody(f *testing.F) {
	f.Add([]byte(`{"reached": true, "note": "Va mieux", "next": "2026-12-02T14:00"}`))
	f.Add([]byte(`{"reached": false, "next": "2026-12-02T14:00:00+01:00", "partner_id": 3, "emergency_services_called": true}`))
	f.Add([]byte(`{"reached": true, "close": {"reason": "resolved", "person_agreed": true}}`))
	f.Add([]byte(`{"cron": "0 10 * * MON", "window": "09:00-12:00", "max_attempts": 2, "retry_minutes": "15", "time_zone": "Europe/Paris"}`))
	f.Add([]byte(`{"until": "2026-12-15"}`))
	f.Add([]byte(`{"until": 15}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`{"next": "demain"}`))
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, body := range []any{&followUpBody{}, &planBody{}, &pauseBody{}} {
			err := decodeBody(data, body)
			if err != nil {
				var ref *refusal
				if !errors.As(err, &ref) || ref.status != http.StatusBadRequest || ref.code != "invalid_json" {
					t.Fatalf("%T: not a 400: %v", body, err)
				}
				continue
			}
			again, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			back := reflect.New(reflect.TypeOf(body).Elem()).Interface()
			if err := decodeBody(again, back); err != nil || !reflect.DeepEqual(body, back) {
				t.Fatalf("round trip changed %T: %v\n%+v\n%+v", body, err, body, back)
			}
			if b, ok := body.(*followUpBody); ok {
				rec, err := b.record(paris)
				switch {
				case err != nil && statusOf(err) != http.StatusUnprocessableEntity:
					t.Fatalf("a follow-up's problems are not invalid input: %v", err)
				case err == nil && (b.Reached == nil || rec.Reached != *b.Reached):
					t.Fatalf("recorded without saying whether the person was reached: %+v", b)
				case err == nil && (strings.TrimSpace(b.Next) == "") != (rec.Next == nil):
					t.Fatalf("next %q read as %v", b.Next, rec.Next)
				}
			}
		}
	})
}
