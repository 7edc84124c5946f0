package enroll

import (
	"encoding/json"
	"reflect"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

// jsonGoWords are what Go's JSON decoder says, which no reader should see.
var jsonGoWords = regexp.MustCompile(`json: |[Uu]nmarshal|Go struct|Go value|invalid character|looking for|unexpected EOF|strconv|int64|%!`)

func TestDecodeRequest(t *testing.T) {
	t.Parallel()
	req, err := DecodeRequest([]byte(`{"person":{"full_name":"Jeanne","phone":"01 99 00 10 20"},"plan":{"cron":"0 10 * * MON"}}` + "\n"))
	require.NoError(t, err)
	require.Equal(t, "Jeanne", req.Person.FullName)
	require.Equal(t, "0 10 * * MON", req.Plan.Cron)

	// A bad body says what is wrong and where, in the reader's language.
	for _, tc := range []struct{ body, fr, en string }{
		{``, "le corps est vide : un objet JSON est attendu", "the body is empty: a JSON object is expected"},
		{`{"person":{"post_code":"75011"}}`, "champ inconnu : « post_code »", `unknown field: "post_code"`},
		{"{\n\"person\": {\"full_name\": 12}}", "« person.full_name » (ligne 2) : il faut un texte, pas un nombre",
			`"person.full_name" (line 2): text expected, not a number`},
		{"{\"plan\": {\n\"max_attempts\": \"tous\"}}", "« plan.max_attempts » (ligne 2) : il faut un nombre entier, pas un texte",
			`"plan.max_attempts" (line 2): a whole number expected, not text`},
		{`{"plan": {"max_attempts": 2.5}}`, "« plan.max_attempts » (ligne 1) : il faut un nombre entier, pas 2.5",
			`"plan.max_attempts" (line 1): a whole number expected, not 2.5`},
		{`{"emergency_contacts": {"full_name": "Paul"}}`, "« emergency_contacts » (ligne 1) : il faut une liste, pas un objet",
			`"emergency_contacts" (line 1): a list expected, not an object`},
		{"{\n\"person\": {\"full_name\": \"A\"", "JSON incomplet : le texte s'arrête avant la fin", "incomplete JSON: the text ends too soon"},
		{"{\"person\": {\n  \"full_name\": \"A\",}}", "JSON mal formé à la ligne 2, caractère 20", "malformed JSON on line 2, character 20"},
		{`{"person":{}} {}`, "le texte continue après l'objet JSON", "text follows the JSON object"},
		{`{"person":{}} ]`, "le texte continue après l'objet JSON", "text follows the JSON object"},
		{`[]`, "il faut un objet, pas une liste", "an object expected, not a list"},
	} {
		_, err := DecodeRequest([]byte(tc.body))
		require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(err), tc.body)
		fr, en := wellcheck.ErrorText(err, wellcheck.French), wellcheck.ErrorText(err, wellcheck.English)
		require.Contains(t, fr, tc.fr, tc.body)
		require.Contains(t, en, tc.en, tc.body)
		require.NotRegexp(t, jsonGoWords, fr+"\n"+en, tc.body)
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
