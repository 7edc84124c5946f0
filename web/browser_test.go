package web_test

// The three journeys, in a real headless Chromium (Debian's chromium, which
// `make test` installs) driven by chromedp: the pages' scripts run under the
// real Content-Security-Policy, and a page error or a policy violation fails
// the test.

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/callee"
	"github.com/wellcheck/wellcheck/calling"
	"github.com/wellcheck/wellcheck/care"
	"github.com/wellcheck/wellcheck/dialer"
	"github.com/wellcheck/wellcheck/dialer/dialertest"
	"github.com/wellcheck/wellcheck/jobs"
	"github.com/wellcheck/wellcheck/store"
	"github.com/wellcheck/wellcheck/web"
)

// tab is a browser tab on the site, French first, that records what the page
// complained of.
type tab struct {
	ctx  context.Context
	s    *site
	mu   sync.Mutex
	errs []string
	// expected are complaints the test asks for (a form refused with a 422
	// is logged as a resource that failed to load).
	expected []string
	// close closes the tab (and its browser) at once.
	close context.CancelFunc
}

// expect has the tab take console messages that contain what as expected,
// not as the page's errors.
func (b *tab) expect(what string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expected = append(b.expected, what)
}

func (s *site) tab(t *testing.T, flags ...chromedp.ExecAllocatorOption) *tab {
	t.Helper()
	// A tablet, held upright: what listeners and coordinators mostly use.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.NoSandbox, chromedp.Flag("accept-lang", "fr-FR,fr"), chromedp.WindowSize(820, 1180))
	opts = append(opts, flags...)
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	// The first action starts the browser, which lives as long as ctx.
	require.NoError(t, chromedp.Do(ctx), "Chromium is needed for these tests: run make test-deps")
	b := &tab{ctx: ctx, s: s, close: cancel}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			// A refused form comes back as 422 or 409, which Chromium logs as
			// a resource that failed to load: the page itself, not an error.
			refused := strings.Contains(m.Text, "status of 422") || strings.Contains(m.Text, "status of 409")
			if m.IsException() || m.Type == chromedp.ConsoleError && !strings.Contains(m.Text, "favicon") && !refused {
				b.mu.Lock()
				if !slices.ContainsFunc(b.expected, func(what string) bool { return strings.Contains(m.String(), what) }) {
					b.errs = append(b.errs, m.String())
				}
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		b.mu.Lock()
		defer b.mu.Unlock()
		require.Empty(t, b.errs, "the pages ran without errors or CSP violations")
	})
	return b
}

// run runs steps in the tab, each run within 30 s.
func (b *tab) run(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, steps...))
}

// text reads the text of the element sel selects. A read that fails while
// the element is being replaced (a poll swapping part of the page in, the
// page after a click that navigates) is tried again.
func (b *tab) text(t *testing.T, sel string) string {
	t.Helper()
	var s string
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel()
		var err error
		s, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		assert.NoError(c, err)
	}, 30*time.Second, 50*time.Millisecond)
	return s
}

// waitText waits until sel's text contains want. A read that fails while the
// page is being replaced (after a click that navigates) is tried again.
func (b *tab) waitText(t *testing.T, sel, want string) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if assert.NoError(c, err) {
			assert.Contains(c, s, want)
		}
	}, 30*time.Second, 100*time.Millisecond)
}

// signIn signs in through the sign-in form.
func (b *tab) signIn(t *testing.T, email string) {
	t.Helper()
	b.run(t,
		chromedp.Navigate(b.s.srv.URL+"/login"),
		chromedp.SendKeys(css("#email"), email),
		chromedp.SendKeys(css("#password"), password),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css("header .who")),
	)
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

func field(name string) chromedp.CSS { return chromedp.CSS(`[name="` + name + `"]`) }

// A coordinator enrols a person referred by their doctor and sees, as they
// tick the days, the next calls with the holidays' effect.
func TestBrowserCoordinatorEnrols(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 21, 8, 0, 0, 0, time.UTC)) // Monday 21 December, 09:00 in Paris
	b := s.tab(t)
	b.signIn(t, claire)
	b.run(t,
		chromedp.Click(css(`header .nav-wide a[href="/persons/new"]`)),
		chromedp.WaitVisible(css(`#enrol-form`)),
	)
	require.Contains(t, b.text(t, "#preview"), "Choisissez des jours et une heure")
	b.run(t,
		chromedp.SetValue(field("referral.source"), "doctor"),
		chromedp.SendKeys(field("referral.referrer_name"), "Dr Bernard"),
		chromedp.SendKeys(field("person.full_name"), "Marie Curie"),
		chromedp.SendKeys(field("person.phone"), "06 12 34 56 78"),
		chromedp.SendKeys(field("contacts[1].full_name"), "Pierre Curie"),
		chromedp.SendKeys(field("contacts[1].phone"), "06 98 76 54 32"),
		chromedp.Click(css(`[name="plan.days"][value="MON"]`)),
		chromedp.Click(css(`[name="plan.days"][value="FRI"]`)),
	)
	// The live preview, without a reload: Christmas and New Year's Day fall
	// on Fridays, their calls merge into the Mondays'.
	b.waitText(t, "#preview", "6 appels dans les 28 prochains jours")
	preview := b.text(t, "#preview")
	require.Contains(t, preview, "lundi et vendredi vers 10 h")
	require.Contains(t, preview, "prévu vendredi 25/12/2026 10:00, jour férié (Noël)")
	require.Contains(t, preview, "jour férié (Nouvel an)")

	b.run(t,
		chromedp.Click(css(`button.primary`)),
		chromedp.WaitVisible(css(`p.notice`)),
	)
	require.Equal(t, "Marie Curie", b.text(t, "h1"))
	require.Contains(t, b.text(t, "p.notice"), "Inscription enregistrée")
	require.Contains(t, b.text(t, "#essentials + dl"), "06 12 34 56 78")
	where, err := chromedp.Run(b.ctx, chromedp.Location())
	require.NoError(t, err)
	require.Regexp(t, `/persons/\d+\?done=enrolled$`, where)
}

// A coordinator's enrolment is refused (a number mistyped, a contact's number
// that cannot be called, the referent chosen gone meanwhile): the form comes
// back with every value she typed or chose, each problem beside the field she
// filled, and the preview of the plan she chose.
func TestBrowserRefusedEnrolmentKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 12, 21, 8, 0, 0, 0, time.UTC)) // Monday 21 December, 09:00 in Paris
	b := s.tab(t)
	b.signIn(t, claire)
	b.run(t,
		chromedp.Navigate(s.srv.URL+"/persons/new"),
		chromedp.WaitVisible(css(`#enrol-form`)),
		chromedp.SetValue(field("referral.source"), "landlord"),
		chromedp.SendKeys(field("referral.referrer_name"), "Office HLM Est"),
		chromedp.SendKeys(field("referral.concern"), "Ne sort plus depuis une semaine."),
		chromedp.SendKeys(field("person.full_name"), "Marie Curie"),
		chromedp.SendKeys(field("person.phone"), "06 12 34"),
		chromedp.SetValue(field("person.language"), "en"),
		chromedp.SendKeys(field("person.city"), "Paris"),
		chromedp.SetValue(field("person.risk_level"), "high"),
		chromedp.SetValue(field("person.referent"), elise),
		chromedp.SetValue(field("person.time_zone"), "Europe/Brussels"),
		chromedp.SendKeys(field("person.notes"), "Malentendante : parler lentement et fort"),
		chromedp.SetValue(field("consent.given_by"), "legal_representative"),
		chromedp.SendKeys(field("consent.representative_name"), "Paul Curie"),
		chromedp.SetValue(field("consent.given_at"), "2026-12-18"),
		chromedp.SetValue(field("consent.method"), "paper"),
		// The first contact's place left empty, the second and third filled.
		chromedp.SendKeys(field("contacts[2].full_name"), "Ève Curie"),
		chromedp.SendKeys(field("contacts[2].relation"), "fille"),
		chromedp.SendKeys(field("contacts[2].phone"), "08 99 12 34 56"),
		chromedp.Click(css(`[name="contacts[2].consent"]`)),
		chromedp.SendKeys(field("contacts[3].full_name"), "Irène Curie"),
		chromedp.SendKeys(field("contacts[3].phone"), "06 98 76 54 32"),
		chromedp.Click(css(`[name="plan.days"][value="TUE"]`)),
		chromedp.Click(css(`[name="plan.days"][value="THU"]`)),
		chromedp.SetValue(field("plan.time"), "11:00"),
		chromedp.SendKeys(field("plan.window"), "10:00-12:00"),
	)
	// What the form would send, as the browser reads it.
	const formData = `[...new FormData(document.getElementById("enrol-form"))].map(([k, v]) => k + "=" + v)`
	typed, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](formData))
	require.NoError(t, err)
	require.Contains(t, typed, "contacts[2].consent=yes")
	// Meanwhile the referent chosen leaves the service.
	_, err = s.store.Pool().Exec(context.Background(), "UPDATE users SET disabled_at = now() WHERE id = $1", s.user.ID)
	require.NoError(t, err)

	b.run(t,
		chromedp.Click(css(`button.primary`)),
		chromedp.WaitVisible(css(`#problems`)),
	)
	kept, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](formData))
	require.NoError(t, err)
	require.ElementsMatch(t, typed, kept, "every value typed or chosen is kept")
	problems := b.text(t, "#problems")
	require.Contains(t, problems, "Téléphone du contact d'urgence 2")
	require.Contains(t, problems, "Écoutant référent")
	// Each problem beside the field that has it: the second contact's number,
	// not the empty first place.
	require.Contains(t, b.text(t, `[id="contacts[2].phone-problem"]`), "08 99 12 34 56")
	beside, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("contacts[1].phone-problem") === null`))
	require.NoError(t, err)
	require.True(t, beside, "no problem beside the empty first contact")
	// The preview is the plan's as chosen, not an empty one.
	preview := b.text(t, "#preview")
	require.Contains(t, preview, "mardi et jeudi vers 11 h")
	require.Contains(t, preview, "appels dans les 28 prochains jours")
	n, err := s.store.Queries().CountPersons(context.Background())
	require.NoError(t, err)
	require.Zero(t, n)
}

// A person presses 2 on a real call (the dialer over SIP to the callee
// simulator); the listener, whose list is open, sees it come by itself — her
// screen reader told, her place on the page kept —, takes the case from the
// pool, records the call back and closes the case.
func TestBrowserFlagReachesTheListenerLive(t *testing.T) {
	t.Parallel()
	s := setup(t, func(ui *web.Server) { ui.ListPoll = 300 * time.Millisecond })
	ctx := context.Background()
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	// The service's clock: Tuesday 17 November 2026 from 10:00, an open day in
	// the past, so the call is due at once, running at the machine's pace.
	start, wall := time.Date(2026, 11, 17, 10, 0, 0, 0, paris), time.Now()
	now := func() time.Time { return start.Add(time.Since(wall)) }
	s.clock.Set(start)
	// Her list already has one follow-up, due later.
	paul := s.task(t, s.enrol(t, "Paul Durand", "+33612345679"), &s.user.ID, wellcheck.FollowUpMissed, wellcheck.PriorityLow)
	_, err = s.store.Pool().Exec(ctx, "UPDATE follow_ups SET due_at = now() + interval '1 day' WHERE case_id = $1", paul)
	require.NoError(t, err)

	b := s.tab(t)
	b.signIn(t, elise)
	require.Contains(t, b.text(t, "#list tbody"), "Paul Durand")
	require.NotContains(t, b.text(t, "#list tbody"), "Marie Curie")
	// She is on Paul's number, the page scrolled as far as it goes.
	paulsNumber := fmt.Sprintf("list-tel-%d", paul)
	b.run(t,
		chromedp.EmulateViewport(800, 300),
		chromedp.Focus(css("#"+paulsNumber)),
		chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, document.body.scrollHeight)`),
	)
	place := func() (string, float64) {
		focused, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.activeElement.id`))
		require.NoError(t, err)
		scrolled, err := chromedp.Run(b.ctx, chromedp.Evaluate[float64](`window.scrollY`))
		require.NoError(t, err)
		return focused, scrolled
	}
	focused, scrolled := place()
	require.Equal(t, paulsNumber, focused)
	require.Positive(t, scrolled, "the page is scrolled down")

	const number = "+33612345678"
	person := s.enrol(t, "Marie Curie", number)
	s.callPresses(t, now, person, number, callee.PressTwo)

	// The list shows it within a poll, by itself; her screen reader is told
	// through the live region, and she is where she was.
	b.waitText(t, "#list tbody", "Marie Curie")
	b.waitText(t, "#list-update", "Liste mise à jour : 1 nouveau suivi")
	live, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.getElementById("list-update").getAttribute("aria-live")`))
	require.NoError(t, err)
	require.Equal(t, "polite", live)
	focusedAfter, scrolledAfter := place()
	require.Equal(t, focused, focusedAfter, "the focus stays on the number she was on")
	require.Equal(t, scrolled, scrolledAfter, "the page does not scroll under her")
	require.Empty(t, b.axe(t), "the list as swapped in passes axe-core's WCAG 2 A and AA rules")
	row := b.text(t, "#list tbody tr:first-child")
	require.Contains(t, row, "Marie Curie")
	require.Contains(t, row, "a demandé un rappel (touche 2)")
	require.Contains(t, row, "pool partagé")
	require.Contains(t, row, "06 12 34 56 78")

	b.run(t,
		chromedp.Click(css(`#list tbody tr:first-child a`)),
		chromedp.WaitVisible(css(`#record`)),
	)
	require.Contains(t, b.text(t, "#timeline + ol"), "demande un rappel (touche 2) (essai 1 : touche 2)", "the call is in the timeline")
	b.run(t, chromedp.Click(css(`form[action$="/claim"] button`)))
	b.waitText(t, ".facts", "Élise Écoutante") // the case is hers now
	b.run(t,
		chromedp.Click(css(`[name="reached"][value="yes"]`)),
		chromedp.SendKeys(css(`textarea[name="note"]`), "Se sentait seule ; orientée vers le club du quartier."),
		chromedp.Click(css(`[name="then"][value="close"]`)),
		chromedp.SetValue(css(`#close`), "resolved"),
		chromedp.Click(css(`[name="agreed"]`)),
		chromedp.Click(css(`form[action$="/follow-up"] button[type=submit]`)),
		chromedp.WaitVisible(css(`#list`)),
	)
	require.NotContains(t, b.text(t, "#list"), "Marie Curie")
	c, _, err := s.store.Queries().OpenCase(ctx, person)
	require.ErrorIs(t, err, wellcheck.ErrNotFound, "the case is closed: %+v", c)
}

// An admin closes the service on Mondays, and the coordinator's preview moves
// the Monday calls to Tuesdays.
func TestBrowserAdminHoursChangeThePreview(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2027, 1, 11, 8, 0, 0, 0, time.UTC)) // Monday 11 January 2027
	b := s.tab(t)
	b.signIn(t, adam)
	previewMonday := func() string {
		b.run(t,
			chromedp.Navigate(s.srv.URL+"/persons/new"),
			chromedp.WaitVisible(css(`#enrol-form`)),
			chromedp.Click(css(`[name="plan.days"][value="MON"]`)),
		)
		b.waitText(t, "#preview", "lundi vers 10 h")
		return b.text(t, "#preview")
	}
	before := previewMonday()
	require.Contains(t, before, "lundi 18/01/2027 10:00 — appel")
	require.NotContains(t, before, "service fermé")

	b.run(t,
		// In the header's Administration menu.
		chromedp.Click(css(`header .nav-wide details:has(a[href="/admin/settings"]) > summary`)),
		chromedp.Click(css(`header .nav-wide a[href="/admin/settings"]`)),
		chromedp.WaitVisible(css(`[name="hours[1].open"]`)),
		chromedp.Click(css(`[name="hours[1].open"]`)),
		chromedp.Click(css(`form[action="/admin/settings/hours"] button[type=submit]`)),
		chromedp.WaitVisible(css(`p.notice`)),
	)
	require.Contains(t, b.text(t, "p.notice"), "Heures d'ouverture enregistrées")

	after := previewMonday()
	require.Contains(t, after, "mardi 19/01/2027 10:00 — appel déplacé — service fermé ce jour-là ; prévu lundi 18/01/2027 10:00")
	require.Contains(t, after, "tombe des jours de fermeture (lundi)", "and the coordinator is warned")
}

// callPresses has person called now, for real: a check-in due now, worked by
// a River client whose dialer calls the callee simulator over SIP on
// loopback, where the number does what behaviour says.
func (s *site) callPresses(t *testing.T, now func() time.Time, person int64, number string, behaviour callee.Behaviour) {
	t.Helper()
	ctx := context.Background()
	queue := s.worker(t, now, map[string]callee.Behaviour{number: behaviour})
	slot := now()
	require.NoError(t, s.store.WithTx(ctx, func(q *store.Queries) error {
		created, err := q.CreateCheckIns(ctx, []wellcheck.CheckIn{{PersonID: person, SlotAt: slot.UTC(), DeadlineAt: slot.Add(6 * time.Hour).UTC()}})
		if err != nil {
			return err
		}
		return queue.EnqueueCalls(ctx, q, created)
	}))
}

// worker starts a worker node for the test: a River client whose dialer
// calls the callee simulator over SIP on loopback, where each number does
// what numbers says.
func (s *site) worker(t *testing.T, now func() time.Time, numbers map[string]callee.Behaviour) *jobs.Jobs {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(s.logs, nil))
	ce, err := callee.New(callee.Config{Listen: "127.0.0.1:0", Numbers: numbers,
		Ring: 20 * time.Millisecond, KeyDelay: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, ce.Close()) })
	limits, err := s.store.NewTrunkLimits(ctx, store.TrunkLimitsConfig{Trunk: "callee", Channels: 2, CPS: 10, Lease: time.Minute, Poll: 20 * time.Millisecond})
	require.NoError(t, err)
	d, err := dialer.New(dialer.Config{
		Trunk:  dialer.Trunk{Host: ce.Addr().Addr().String(), Port: int(ce.Addr().Port())},
		Listen: "127.0.0.1:0", CallerNumber: "+33199000000", RingTimeout: 2 * time.Second, KeyTimeout: 400 * time.Millisecond,
		Limits: limits, Logger: logger,
	}, dialertest.ShortPrompts())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	queue, err := jobs.NewJobs(s.store.Pool(), logger)
	require.NoError(t, err)
	cases := &care.Cases{Store: s.store, Queue: queue, Logger: logger, Now: now}
	calls := &calling.Calls{Store: s.store, Dialer: d, Queue: queue, Care: cases, Logger: logger, Now: now}
	client, err := jobs.NewClient(s.store.Pool(), jobs.Config{Calls: calls, Care: cases, Admin: &admin.Service{Store: s.store, Logger: logger, Now: now},
		CallWorkers: 2, Logger: logger})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		require.NoError(t, client.Stop(stop))
	})
	return queue
}
