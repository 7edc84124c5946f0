package main

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/wellcheck/wellcheck"
)

// FuzzDecodeRequest: any body either decodes to a request that survives a round
// trip, or is refused with an invalid-input error; never a panic.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"person":{"full_name":"Jeanne","phone":"01 99 00 10 20"},"plan":{"cron":"0 10 * * MON","max_attempts":2}}`))
	f.Add([]byte(`{"emergency_contacts":[{"full_name":"Paul","phone":"+33 1 99 00 10 21"}],"consent":null}`))
	f.Add([]byte(`{"person":{"full_name":12}}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeRequest(data)
		if err != nil {
			if wellcheck.ErrorCode(err) != wellcheck.EInvalid {
				t.Fatalf("not an invalid-input error: %v", err)
			}
			return
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeRequest(again)
		if err != nil || !reflect.DeepEqual(req, back) {
			t.Fatalf("round trip changed the request: %v\n%+v\n%+v", err, req, back)
		}
	})
}
