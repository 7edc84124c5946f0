package web_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// register is a small register as a coordinator keeps one: two good rows, a
// number that is not one, and a plan outside the service's hours.
const register = "full_name;phone;language;postcode;city;referral_source;consent_given_by;consent_given_at;consent_method;cron;window\n" +
	"Jeanne Martin;01 99 00 10 20;fr;75011;Paris;famille;la personne;2026-10-01;téléphone;0 10 * * MON,WED,FRI;09:30-12:00\n" +
	"Marcel Bernard;02 61 91 11 21;fr;75012;Paris;médecin;la personne;2026-10-02;téléphone;30 9 * * TUE,THU;09:00-11:00\n" +
	"Simone Dubois;12345;fr;75013;Paris;famille;la personne;2026-10-03;téléphone;0 14 * * MON-FRI;13:30-16:30\n" +
	"André Thomas;04 65 71 13 23;fr;75014;Paris;bailleur;la personne;2026-10-04;papier;0 20 * * MON;20:00-21:00\n"

// upload posts a file to the import form, as a browser does.
func (s *site) upload(t *testing.T, c *http.Client, csrf, name, content string) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("csrf", csrf))
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(t, err)
	_, err = fw.Write([]byte(content))
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, s.srv.URL+"/persons/import", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	page, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(page)
}

func (s *site) enrolled(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, s.store.Pool().QueryRow(context.Background(), "SELECT count(*) FROM persons").Scan(&n))
	return n
}

var confirmAction = regexp.MustCompile(`action="(/persons/import/\d+)"`)

func TestImportFromTheBrowser(t *testing.T) {
	t.Parallel()
	s := setup(t)
	s.clock.Set(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	c := s.browser(t)
	s.signInAs(t, c, claire)
	status, page, csrf := s.get(t, c, "/persons/import")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, page, "Obligatoires : « Nom et prénom », « Téléphone », ")
	require.Contains(t, page, `href="/persons/import/model.xlsx"`, "the model to fill in")

	// The check: every bad row with its line and reasons, as the command
	// line reports them, and nobody enrolled.
	status, page = s.upload(t, c, csrf, "registre.csv", register)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, page, "Vérification seule : 4 lignes lues, 2 valides, 2 invalides ; rien n&#39;a été importé.")
	require.Regexp(t, `<tr><td>4</td><td>Simone Dubois</td><td><ul><li>colonne B \(phone\) : « 12345 » n&#39;est pas un numéro de téléphone : un numéro français comme 06 12 34 56 78, ou international commençant par &#43;</li></ul></td></tr>`, page)
	require.Regexp(t, `<tr><td>5</td><td>André Thomas</td><td><ul><li>[^<]*20:00–21:00[^<]*heures d&#39;ouverture[^<]*</li></ul></td></tr>`, page)
	require.Contains(t, page, `<input type="checkbox" name="skip_invalid" value="yes" required> Inscrire les personnes valides et écarter les 2 lignes invalides`)
	require.Contains(t, page, "Inscrire 2 personnes")
	require.Zero(t, s.enrolled(t))
	confirm := confirmAction.FindStringSubmatch(page)[1]

	// Confirming without leaving the bad rows out imports nothing.
	res, page := s.post(t, c, confirm, url.Values{"csrf": {csrf}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	require.Zero(t, s.enrolled(t))

	// Another coordinator cannot confirm Claire's upload.
	other := s.browser(t)
	otherCSRF, _ := s.signInAs(t, other, adam)
	res, _ = s.post(t, other, confirm, url.Values{"csrf": {otherCSRF}, "skip_invalid": {"yes"}}, nil)
	require.Equal(t, http.StatusNotFound, res.StatusCode)

	// Leaving them out enrols the two good rows, whose calls are planned, and
	// the upload is forgotten.
	res, page = s.post(t, c, confirm, url.Values{"csrf": {csrf}, "skip_invalid": {"yes"}}, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, page, "4 lignes lues, 2 personnes inscrites, 2 lignes invalides écartées.")
	require.Equal(t, 2, s.enrolled(t))
	var planned, uploads int
	require.NoError(t, s.store.Pool().QueryRow(context.Background(), "SELECT count(*) FROM check_ins").Scan(&planned))
	require.Positive(t, planned, "the imported persons' calls are planned")
	require.NoError(t, s.store.Pool().QueryRow(context.Background(), "SELECT count(*) FROM import_uploads").Scan(&uploads))
	require.Zero(t, uploads)
	res, _ = s.post(t, c, confirm, url.Values{"csrf": {csrf}, "skip_invalid": {"yes"}}, nil)
	require.Equal(t, http.StatusNotFound, res.StatusCode, "imported once only")

	// The import is audited with the file's name, as the command line's is.
	var audited int
	require.NoError(t, s.store.Pool().QueryRow(context.Background(),
		"SELECT count(*) FROM audit_log WHERE actor_id = $1 AND details->>'file' = 'registre.csv'", s.coord.ID).Scan(&audited))
	require.Equal(t, 2, audited)

	// A file that is not a register, or no file: said plainly.
	status, page = s.upload(t, c, csrf, "photo.csv", "\xff\xd8\xff\xe0 not text")
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, page, `<div class="error" role="alert" id="problems">`)
	status, _ = s.upload(t, c, csrf, "empty.csv", "")
	require.Equal(t, http.StatusUnprocessableEntity, status)

	// The file is kept an hour at most.
	status, page = s.upload(t, c, csrf, "nouveaux.csv", "full_name,phone,referral_source,consent_given_by,consent_given_at,consent_method,cron\n"+
		"Lucie Neuve,05 56 00 11 22,famille,la personne,2026-10-05,téléphone,0 10 * * MON\n")
	require.Equal(t, http.StatusOK, status)
	s.clock.Set(s.clock.Now().Add(61 * time.Minute))
	res, page = s.post(t, c, confirmAction.FindStringSubmatch(page)[1], url.Values{"csrf": {csrf}, "skip_invalid": {"yes"}}, nil)
	require.Equal(t, http.StatusNotFound, res.StatusCode)
	require.Contains(t, page, "Ce fichier n&#39;est plus en attente")
	require.NotContains(t, s.logs.String(), "99 00 10 20")
}

// The model downloads in the reader's language, as a workbook the import
// reads back, or as CSV.
func TestImportModelDownloads(t *testing.T) {
	t.Parallel()
	s := setup(t)
	c := s.browser(t)
	s.signInAs(t, c, claire)
	res, err := c.Get(s.srv.URL + "/persons/import/model.xlsx")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, `attachment; filename=modele-registre-wellcheck.xlsx`, res.Header.Get("Content-Disposition"))
	model, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	f, err := excelize.OpenReader(bytes.NewReader(model))
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []string{"Personnes", "Mode d'emploi"}, f.GetSheetList())
	header, err := f.GetRows("Personnes")
	require.NoError(t, err)
	require.Equal(t, []string{"Nom et prénom", "Téléphone", "Jours d'appel", "Heure d'appel"}, header[0][:4])

	status, page, _ := s.get(t, c, "/persons/import/model.csv")
	require.Equal(t, http.StatusOK, status)
	require.True(t, strings.HasPrefix(page, "\ufeffNom et prénom;Téléphone;"))
	status, _, _ = s.get(t, c, "/persons/import/model.ods")
	require.Equal(t, http.StatusNotFound, status)
}
