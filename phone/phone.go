// Package phone parses, validates and formats phone numbers with
// nyaruka/phonenumbers. Numbers are stored in E.164, shown formatted, and masked
// in logs (wellcheck.Phone does the masking).
package phone

import (
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/wellcheck/wellcheck"
)

// Parser reads numbers as a coordinator types them: national numbers are read in
// Region ("06 12 34 56 78" in FR is +33612345678).
type Parser struct {
	Region string // ISO 3166 alpha-2, e.g. "FR"
}

// Parse returns the number in E.164, or a *wellcheck.Error that says what is wrong
// in words a coordinator understands. It accepts only lines one can call for a
// check-in: fixed, mobile, VoIP or personal numbers; it rejects premium-rate,
// shared-cost, short, voicemail and pager numbers.
func (p Parser) Parse(raw string) (wellcheck.Phone, error) {
	num, typed, err := p.valid(raw)
	if err != nil {
		return "", err
	}
	// GetNumberType is UNKNOWN exactly when IsValidNumber is false (both match the
	// region's patterns); calling only it halves the cost of a bulk import.
	var why string
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.UNKNOWN:
		return "", wellcheck.Errorf(wellcheck.EInvalid, "phone_invalid", typed)
	case phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE,
		phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER:
		return wellcheck.Phone(phonenumbers.Format(num, phonenumbers.E164)), nil
	case phonenumbers.PREMIUM_RATE:
		why = "phone_premium"
	case phonenumbers.SHARED_COST:
		why = "phone_shared_cost"
	case phonenumbers.TOLL_FREE:
		why = "phone_toll_free"
	case phonenumbers.UAN:
		why = "phone_short"
	default: // PAGER, VOICEMAIL
		why = "phone_pager"
	}
	return "", &wellcheck.Error{Code: wellcheck.EInvalid, Message: wellcheck.Message{
		Key: "phone_not_dialable", Args: []any{typed, wellcheck.Message{Key: why}},
	}}
}

// ParseService returns a service's number in E.164 (a partner's line, which
// may be toll-free or shared-cost), or a *wellcheck.Error saying what is wrong.
func (p Parser) ParseService(raw string) (wellcheck.Phone, error) {
	num, typed, err := p.valid(raw)
	if err != nil {
		return "", err
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", wellcheck.Errorf(wellcheck.EInvalid, "phone_invalid", typed)
	}
	return wellcheck.Phone(phonenumbers.Format(num, phonenumbers.E164)), nil
}

// valid parses raw into a number without an extension.
func (p Parser) valid(raw string) (*phonenumbers.PhoneNumber, wellcheck.Secret, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, "", wellcheck.Errorf(wellcheck.EInvalid, "required")
	}
	// What the user typed is shown back to them in full, but masked wherever the
	// error's Error() string may be logged.
	typed := wellcheck.Secret(raw)
	num, err := phonenumbers.Parse(raw, p.Region)
	if err != nil {
		if err == phonenumbers.ErrInvalidCountryCode {
			return nil, typed, wellcheck.Errorf(wellcheck.EInvalid, "phone_unknown_region", typed)
		}
		return nil, typed, wellcheck.Errorf(wellcheck.EInvalid, "phone_invalid", typed)
	}
	// An extension ("poste 12") would ring a switchboard, where someone else
	// might answer the check-in for the person.
	if num.GetExtension() != "" {
		return nil, typed, wellcheck.Errorf(wellcheck.EInvalid, "phone_extension", typed)
	}
	return num, typed, nil
}

// Format returns the number for display: national format for numbers of the
// parser's region ("06 12 34 56 78"), international otherwise ("+32 470 12 34 56").
func (p Parser) Format(ph wellcheck.Phone) string {
	num, err := phonenumbers.Parse(ph.E164(), p.Region)
	if err != nil {
		return ph.E164()
	}
	if phonenumbers.GetRegionCodeForNumber(num) == p.Region {
		return phonenumbers.Format(num, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}
