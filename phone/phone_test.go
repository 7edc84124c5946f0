package phone_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/phone"
)

func TestParse(t *testing.T) {
	t.Parallel()
	fr := phone.Parser{Region: "FR"}
	tests := []struct {
		raw     string
		want    wellcheck.Phone
		wantKey string // catalogue key of the error, "" for success
	}{
		{"06 12 34 56 78", "+33612345678", ""},
		{"06.12.34.56.78", "+33612345678", ""},
		{"+33 6 12 34 56 78", "+33612345678", ""},
		{"0033612345678", "+33612345678", ""},
		{"01 23 45 67 89", "+33123456789", ""},      // fixed line
		{"09 70 12 34 56", "+33970123456", ""},      // VoIP/box line
		{"+32 470 12 34 56", "+32470123456", ""},    // Belgian mobile
		{"0899 12 34 56", "", "phone_not_dialable"}, // premium rate
		{"0810 12 34 56", "", "phone_not_dialable"}, // shared cost
		{"06 12 34", "", "phone_invalid"},           // too short
		{"12", "", "phone_invalid"},
		{"15", "", "phone_invalid"}, // SAMU: never a person's line
		{"not a number", "", "phone_invalid"},
		{"+999 123456789", "", "phone_unknown_region"},
		{"", "", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			t.Parallel()
			got, err := fr.Parse(tt.raw)
			if tt.wantKey == "" {
				require.NoError(t, err)
				require.Equal(t, tt.want, got)
				return
			}
			var e *wellcheck.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, wellcheck.EInvalid, e.Code)
			require.Equal(t, tt.wantKey, e.Message.Key, e.Text(wellcheck.French))
		})
	}
}

func TestParseRegion(t *testing.T) {
	t.Parallel()
	got, err := phone.Parser{Region: "BE"}.Parse("0470 12 34 56")
	require.NoError(t, err)
	require.Equal(t, wellcheck.Phone("+32470123456"), got)
}

func TestPremiumReasonIsTranslated(t *testing.T) {
	t.Parallel()
	_, err := phone.Parser{Region: "FR"}.Parse("0899 12 34 56")
	var e *wellcheck.Error
	require.ErrorAs(t, err, &e)
	require.Contains(t, e.Text(wellcheck.French), "surtaxé")
	require.Contains(t, e.Text(wellcheck.English), "premium-rate")
}

func TestFormat(t *testing.T) {
	t.Parallel()
	fr := phone.Parser{Region: "FR"}
	require.Equal(t, "06 12 34 56 78", fr.Format("+33612345678"))
	require.Equal(t, "+32 470 12 34 56", fr.Format("+32470123456"))
}

func TestMaskNeverShowsTheNumber(t *testing.T) {
	t.Parallel()
	p := wellcheck.Phone("+33612345678")
	require.Equal(t, "••••••78", p.String(), "the last two digits, nothing more")
	require.Equal(t, "••••••78", p.LogValue().String())
	require.Equal(t, "+33612345678", p.E164())
	for _, tc := range []struct{ in, want string }{
		{"+3361", "•••"},
		{"06\u202f12\u202f34\u202f56\u202f78", "••••••78"}, // typed with narrow no-break spaces
		{"+32 470 12 34 56", "••••••56"},
		{"sip:+33612345678@trunk.example.net", "sip:••••••78@trunk.example.net"},
		{"sip:alice@pbx.example.net", "sip:•••@pbx.example.net"},
	} {
		require.Equal(t, tc.want, wellcheck.MaskPhone(tc.in), tc.in)
	}
}

func TestErrorsNeverLogWhatWasTyped(t *testing.T) {
	t.Parallel()
	fr := phone.Parser{Region: "FR"}
	for _, typed := range []string{"0899 12 34 56", "01 99 00 10 20 poste 12", "06 12 34"} {
		_, err := fr.Parse(typed)
		require.Error(t, err)
		// What reaches logs, the message's own example of a number aside.
		logged := strings.ReplaceAll(err.Error(), "06 12 34 56 78", "")
		require.NotContains(t, logged, typed, "Error() is what reaches logs")
		require.NotContains(t, strings.ReplaceAll(fmt.Sprint(err), "06 12 34 56 78", ""), "12 34")
		var e *wellcheck.Error
		require.ErrorAs(t, err, &e)
		require.Contains(t, e.Text(wellcheck.French), typed, "the coordinator sees what they typed")
	}
	_, err := fr.Parse("0800 12 34 56")
	require.ErrorContains(t, err, "toll-free service number")
}
