package enroll

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

func TestDecodeRequest(t *testing.T) {
	t.Parallel()
	req, err := DecodeRequest([]byte(`{"person":{"full_name":"Jeanne","phone":"01 99 00 10 20"},"plan":{"cron":"0 10 * * MON"}}` + "\n"))
	require.NoError(t, err)
	require.Equal(t, "Jeanne", req.Person.FullName)
	require.Equal(t, "0 10 * * MON", req.Plan.Cron)

	for body, want := range map[string]string{
		``:                                     "invalid JSON: empty body",
		`{"person":{"post_code":"75011"}}`:     `invalid JSON: json: unknown field "post_code"`,
		"{\n\"person\": {\"full_name\": 12}}":  "invalid JSON: line 2: json: cannot unmarshal number into Go struct field",
		"{\n\"person\": {\"full_name\": \"A\"": "invalid JSON: unexpected EOF",
		`{"person":{}} {}`:                     "invalid JSON: more than one JSON value",
		`{"person":{}} ]`:                      "invalid JSON: more than one JSON value",
		`[]`:                                   "invalid JSON: line 1: json: cannot unmarshal array",
	} {
		_, err := DecodeRequest([]byte(body))
		require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err), body)
		require.Contains(t, wellcheck.ErrorText(err, wellcheck.English), want, body)
	}
}

// FuzzDecodeRequest: any body either decodes to a request that survives a round
// trip, or is refused with an invalid-input error; never a panic.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"person":{"full_name":"Jeanne","phone":"01 99 00 10 20"},"plan":{"cron":"0 10 * * MON","max_attempts":2}}`))
	f.Add([]byte(`{"emergency_contacts":[{"full_name":"Paul","phone":"+33 1 99 00 10 21"}],"consent":null}`))
	f.Add([]byte(`{"person":{"full_name":12}}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`{} ]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := DecodeRequest(data)
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
		back, err := DecodeRequest(again)
		if err != nil || !reflect.DeepEqual(req, back) {
			t.Fatalf("round trip changed the request: %v\n%+v\n%+v", err, req, back)
		}
	})
}
