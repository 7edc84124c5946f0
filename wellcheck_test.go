package wellcheck_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
)

func TestMessagesRenderInTheReadersLanguage(t *testing.T) {
	t.Parallel()
	m := wellcheck.Message{Key: "phone_not_dialable", Args: []any{"0899", wellcheck.Message{Key: "phone_premium"}}}
	require.Equal(t, "« 0899 » ne peut pas être appelé pour un appel de bien-être (numéro surtaxé)", m.Text(wellcheck.French))
	require.Equal(t, `"0899" cannot be called for a check-in (premium-rate number)`, m.Text(wellcheck.English))

	days := wellcheck.List([]any{wellcheck.WeekdayName(time.Saturday), wellcheck.WeekdayName(time.Sunday)})
	require.Equal(t, "samedi et dimanche", days.Text(wellcheck.French))
	require.Equal(t, "Saturday and Sunday", days.Text(wellcheck.English))

	require.Equal(t, "no_such_key", wellcheck.Message{Key: "no_such_key"}.Text(wellcheck.French), "a missing translation shows, it is not blank")
}

func TestCountsAgreeWithTheirWords(t *testing.T) {
	t.Parallel()
	done := func(read, enrolled, left int) wellcheck.Message {
		return wellcheck.Message{Key: "cli_import_done", Args: []any{read, enrolled, left}}
	}
	for _, tc := range []struct {
		m      wellcheck.Message
		fr, en string
	}{
		{done(1, 1, 0), "1 ligne lue, 1 personne inscrite, 0 ligne invalide écartée.", "1 line read, 1 person enrolled, 0 invalid lines left out."},
		{done(12, 10, 2), "12 lignes lues, 10 personnes inscrites, 2 lignes invalides écartées.", "12 lines read, 10 persons enrolled, 2 invalid lines left out."},
		{wellcheck.Message{Key: "cli_row_warning", Args: []any{3, "x", "4, 5, 9"}}, "3 lignes — attention : x (lignes 4, 5, 9)", "3 lines — warning: x (lines 4, 5, 9)"},
		{wellcheck.Message{Key: "cli_row_warning", Args: []any{1, "x", "4"}}, "1 ligne — attention : x (ligne 4)", "1 line — warning: x (line 4)"},
	} {
		require.Equal(t, tc.fr, tc.m.Text(wellcheck.French))
		require.Equal(t, tc.en, tc.m.Text(wellcheck.English))
	}
	// Braces that are not a choice, and percent signs, are left as they are.
	require.Equal(t, "{a} 100% 2 b", wellcheck.Format(wellcheck.French, "{a} 100%% %d {a|b}", 2))
}

func TestFieldLabels(t *testing.T) {
	t.Parallel()
	require.Equal(t, "téléphone du contact d'urgence 2", wellcheck.FieldLabel("contacts[2].phone", wellcheck.French))
	require.Equal(t, "emergency contact's phone 2", wellcheck.FieldLabel("contacts[2].phone", wellcheck.English))
	require.Equal(t, "call window", wellcheck.FieldLabel("plan.window", wellcheck.English))
	require.Equal(t, "unknown.field", wellcheck.FieldLabel("unknown.field", wellcheck.English))
}

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	var ps wellcheck.Problems
	require.NoError(t, ps.Err())
	ps.Add("person.phone", "required")
	wrapped := fmt.Errorf("enrol: %w", ps.Err())
	require.Equal(t, wellcheck.EInvalid, wellcheck.ErrorCode(wrapped))
	require.Equal(t, "téléphone : obligatoire", wellcheck.ErrorText(wrapped, wellcheck.French))
	require.Equal(t, "phone: required", wellcheck.ErrorText(wrapped, wellcheck.English))

	conflict := fmt.Errorf("enrol: %w", &wellcheck.ConflictError{PersonID: 7, PersonName: "Jeanne Martin"})
	require.Equal(t, wellcheck.EConflict, wellcheck.ErrorCode(conflict))

	internal := errors.New("connection reset by peer")
	require.Equal(t, wellcheck.EInternal, wellcheck.ErrorCode(internal))
	require.NotContains(t, wellcheck.ErrorText(internal, wellcheck.French), "connection reset", "internals stay in the log")
	require.Equal(t, "", wellcheck.ErrorCode(nil))

	require.ErrorIs(t, fmt.Errorf("read: %w", wellcheck.Errorf(wellcheck.ENotFound, "not_found")), wellcheck.ErrNotFound)
}

func TestWindow(t *testing.T) {
	t.Parallel()
	w := wellcheck.Window{Start: wellcheck.Clock(9, 30), End: wellcheck.Clock(12, 0)}
	require.True(t, w.Contains(wellcheck.Clock(9, 30)))
	require.True(t, w.Contains(wellcheck.Clock(11, 59)))
	require.False(t, w.Contains(wellcheck.Clock(12, 0)), "the end is excluded")
	require.True(t, w.Within(wellcheck.DefaultSettings().OpeningHours()))
	require.Equal(t, "09:30–12:00", w.String())
	tod, err := wellcheck.ParseTimeOfDay("17:05")
	require.NoError(t, err)
	require.Equal(t, wellcheck.Clock(17, 5), tod)
	_, err = wellcheck.ParseTimeOfDay("25:00")
	require.Error(t, err)
}
