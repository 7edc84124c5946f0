package web

import (
	"net/http"
	"strings"

	"github.com/wellcheck/wellcheck"
	"github.com/wellcheck/wellcheck/admin"
	"github.com/wellcheck/wellcheck/phone"
)

// partnerView is the directory, or one partner's form.
type partnerView struct {
	Partners []partnerRow
	Edit     partnerForm
}

type partnerRow struct {
	wellcheck.Partner
	Phone, Areas string
}

// partnerRowOf is a partner as a list shows it.
func partnerRowOf(p wellcheck.Partner, phones phone.Parser) partnerRow {
	row := partnerRow{Partner: p, Areas: strings.Join(p.Areas, ", ")}
	if p.Phone != "" {
		row.Phone = phones.Format(p.Phone)
	}
	return row
}

// partnerForm is a partner as typed.
type partnerForm struct {
	ID                              int64
	Name, Kind, Areas, Phone, Hours string
	Archived                        bool
}

func (s *Server) partners(w http.ResponseWriter, r *http.Request, sess session) error {
	return s.showPartners(w, r, sess, partnerForm{}, http.StatusOK, nil)
}

func (s *Server) partnerPage(w http.ResponseWriter, r *http.Request, sess session) error {
	p, err := s.partnerOf(r)
	if err != nil {
		return err
	}
	phones, err := s.phones(r)
	if err != nil {
		return err
	}
	f := partnerForm{ID: p.ID, Name: p.Name, Kind: p.Kind, Areas: strings.Join(p.Areas, ", "), Hours: p.Hours, Archived: p.ArchivedAt != nil}
	if p.Phone != "" {
		f.Phone = phones.Format(p.Phone)
	}
	return s.render(w, r, pagePartner, http.StatusOK, signedInPage(p.Name, sess, partnerView{Edit: f}))
}

// partnerOf reads the partner a path names.
func (s *Server) partnerOf(r *http.Request) (wellcheck.Partner, error) {
	return loadPath(r, "not_found_page", s.Store.Queries().Partner)
}

func (s *Server) showPartners(w http.ResponseWriter, r *http.Request, sess session, f partnerForm, status int, problem error) error {
	lang := langOf(r)
	list, err := s.Store.Queries().Partners(r.Context(), true)
	if err != nil {
		return err
	}
	phones, err := s.phones(r)
	if err != nil {
		return err
	}
	v := partnerView{Edit: f}
	for _, p := range list {
		v.Partners = append(v.Partners, partnerRowOf(p, phones))
	}
	pg := signedInPage(text(lang, "partners"), sess, v)
	if r.URL.Query().Get("done") == "partner" {
		pg.Notice = text(lang, "done.partner")
	}
	if problem != nil {
		pg.refuse(r, problem)
	}
	name := pagePartners
	if f.ID != 0 {
		name = pagePartner
	}
	return s.render(w, r, name, status, pg)
}

// savePartner adds a partner (POST /partners) or changes one, archiving it
// included (POST /partners/{id}).
func (s *Server) savePartner(w http.ResponseWriter, r *http.Request, sess session) error {
	f := partnerForm{
		Name: r.PostFormValue("partner.name"), Kind: r.PostFormValue("partner.kind"), Areas: r.PostFormValue("partner.areas"),
		Phone: r.PostFormValue("partner.phone"), Hours: r.PostFormValue("partner.hours"), Archived: r.PostFormValue("archived") == "yes",
	}
	if r.PathValue("id") != "" {
		current, err := s.partnerOf(r)
		if err != nil {
			return err
		}
		f.ID = current.ID
	}
	_, err := s.Admin.SavePartner(r.Context(), actorOf(sess), f.ID, admin.PartnerInput{
		Name: f.Name, Kind: f.Kind, Areas: f.Areas, Phone: f.Phone, Hours: f.Hours, Archived: f.Archived})
	if err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			return err
		}
		return s.showPartners(w, r, sess, f, statusOf(err), err)
	}
	http.Redirect(w, r, "/partners?done=partner", http.StatusSeeOther)
	return nil
}
