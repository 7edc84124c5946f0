package admin

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/phone"
	"github.com/wellcheck/wellcheck/store"
)

// Limits of a partner's and a listener's fields.
const (
	maxPartnerText = 500
	maxAreas       = 500
	maxArea        = 80
	maxSkills      = 20
	maxSkill       = 40
)

var languageCode = regexp.MustCompile(`^[a-z]{2,3}$`)

// PartnerInput is a partner service as an admin or coordinator typed it.
type PartnerInput struct {
	Name, Kind, Areas, Phone, Hours string
	Archived                        bool
}

// SavePartner checks a partner as typed and adds it (id zero) or changes
// partner id, archiving it included: a partner archived keeps naming the
// follow-ups that oriented someone to it. Problems name partner.<field>.
func (s *Service) SavePartner(ctx context.Context, by wellcheck.Actor, id int64, in PartnerInput) (wellcheck.Partner, error) {
	q := s.Store.Queries()
	var phones phone.Parser // numbers typed without a country code are the service's region's
	if strings.TrimSpace(in.Phone) != "" {
		settings, err := q.Settings(ctx)
		if err != nil {
			return wellcheck.Partner{}, fmt.Errorf("save a partner: %w", err)
		}
		phones.Region = settings.DefaultRegion
	}
	p, err := checkPartner(in, phones)
	if err != nil {
		return p, err
	}
	if id != 0 {
		current, err := q.Partner(ctx, id)
		if err != nil {
			return p, fmt.Errorf("save partner %d: %w", id, err)
		}
		p.ID, p.ArchivedAt = id, current.ArchivedAt
	}
	if in.Archived && p.ArchivedAt == nil {
		now := s.now()
		p.ArchivedAt = &now
	} else if !in.Archived {
		p.ArchivedAt = nil
	}
	err = s.Store.WithTx(ctx, func(q *store.Queries) error {
		var err error
		if p, err = q.SavePartner(ctx, p); err != nil {
			return err
		}
		return q.Audit(ctx, by, "partner.save", nil, nil, map[string]any{"partner_id": p.ID})
	})
	if err != nil {
		return p, fmt.Errorf("save a partner: %w", err)
	}
	return p, nil
}

func checkPartner(in PartnerInput, phones phone.Parser) (wellcheck.Partner, error) {
	var problems wellcheck.Problems
	p := wellcheck.Partner{Name: strings.TrimSpace(in.Name), Kind: strings.TrimSpace(in.Kind), Hours: strings.TrimSpace(in.Hours)}
	if p.Name == "" {
		problems.Add("partner.name", "required")
	}
	for _, f := range []struct{ field, v string }{{"partner.name", p.Name}, {"partner.kind", p.Kind}, {"partner.hours", p.Hours}} {
		if len(f.v) > maxPartnerText {
			problems.Add(f.field, "too_long", maxPartnerText)
		}
	}
	p.Areas = listField(&problems, "partner.areas", in.Areas, maxArea, maxAreas)
	if number := strings.TrimSpace(in.Phone); number != "" {
		var err error
		if p.Phone, err = phones.ParseService(number); err != nil {
			problems.AddErr("partner.phone", err)
		}
	}
	return p, problems.Err()
}

// ListenerInput is a listener's profile as typed: languages and skills as
// lists, the capacity, and the weekly shifts.
type ListenerInput struct {
	Languages, Skills, Capacity string
	Shifts                      Week
}

// SaveListener checks listener id's profile as typed and saves it.
// Assignment reads it at once: languages and skills match persons to
// listeners, capacity bounds their list, shifts say when they take cases.
// Problems name listener.<field>.
func (s *Service) SaveListener(ctx context.Context, by wellcheck.Actor, id int64, in ListenerInput) error {
	l, err := s.Store.Queries().Listener(ctx, id)
	if err != nil {
		return fmt.Errorf("save the profile of listener %d: %w", id, err)
	}
	shifts, problems := in.Shifts.read()
	l.Languages = listField(&problems, "listener.languages", in.Languages, 3, 10)
	for _, code := range l.Languages {
		if !languageCode.MatchString(code) {
			problems.Add("listener.languages", "language_invalid", code)
		}
	}
	if len(l.Languages) == 0 {
		problems.Add("listener.languages", "required")
	}
	l.Skills = listField(&problems, "listener.skills", in.Skills, maxSkill, maxSkills)
	capacity, err := strconv.Atoi(strings.TrimSpace(in.Capacity))
	if err != nil || capacity < 0 || capacity > wellcheck.MaxCapacity {
		problems.Add("listener.capacity", "capacity_invalid", wellcheck.MaxCapacity)
	}
	l.Capacity = capacity
	l.Shifts = nil
	for _, d := range WeekOrder {
		if h, ok := shifts[d]; ok {
			l.Shifts = append(l.Shifts, store.Shift{Weekday: d, Window: h})
		}
	}
	if err := problems.Err(); err != nil {
		return err
	}
	err = s.Store.WithTx(ctx, func(q *store.Queries) error {
		if err := q.SaveListener(ctx, l); err != nil {
			return err
		}
		return q.Audit(ctx, by, "listener.profile", nil, nil, map[string]any{"user_id": l.ID})
	})
	if err != nil {
		return fmt.Errorf("save the profile of listener %d: %w", id, err)
	}
	return nil
}

// listField reads a list typed as text, its items between commas,
// semicolons or lines, lower-cased: each maxLen characters at most, maxItems
// in all. Problems are the field's.
func listField(ps *wellcheck.Problems, field, s string, maxLen, maxItems int) []string {
	items := []string{} // none is an empty list, not NULL
	for _, it := range strings.FieldsFunc(strings.ToLower(s), func(c rune) bool { return c == ',' || c == ';' || c == '\n' }) {
		if it = strings.TrimSpace(it); it != "" {
			items = append(items, it)
		}
	}
	if slices.ContainsFunc(items, func(it string) bool { return utf8.RuneCountInString(it) > maxLen }) {
		ps.Add(field, "too_long", maxLen)
	}
	if len(items) > maxItems {
		ps.Add(field, "too_many", maxItems)
	}
	return items
}
