package web

import (
	"net/http"
	"strings"

	"github.com/wellcheck/wellcheck"
)

// texts are the interface's words, French first.
var texts = map[string][2]string{
	"not_emergency":               {"wellcheck n'est pas un service d'urgence. En cas d'urgence : 112, 15 (SAMU), 17 (police), 18 (pompiers), 114 (par SMS).", "wellcheck is not an emergency service. In an emergency: 112, 15 (SAMU), 17 (police), 18 (fire brigade), 114 (by SMS)."},
	"sign_in":                     {"Connexion", "Sign in"},
	"email":                       {"Adresse e-mail", "E-mail address"},
	"password":                    {"Mot de passe", "Password"},
	"wrong_credentials":           {"Adresse e-mail ou mot de passe incorrect.", "Wrong e-mail address or password."},
	"too_many_attempts":           {"Trop d'essais. Réessayez dans quelques minutes.", "Too many attempts. Try again in a few minutes."},
	"logout":                      {"Se déconnecter", "Sign out"},
	"logout_everywhere":           {"Se déconnecter de tous les appareils", "Sign out on every device"},
	"forbidden":                   {"Requête refusée : rechargez la page et recommencez.", "Request refused: reload the page and try again."},
	"signed_out":                  {"Session expirée : reconnectez-vous.", "Session expired: sign in again."},
	"internal":                    {"Une erreur interne est survenue.", "An internal error occurred."},
	"essentials":                  {"L'essentiel", "Essentials"},
	"language":                    {"Langue", "Language"},
	"referral":                    {"Signalement", "Referral"},
	"contacts":                    {"Contacts d'urgence", "Emergency contacts"},
	"claim":                       {"Prendre ce dossier", "Take this case"},
	"record":                      {"Noter un suivi", "Record a follow-up"},
	"reached_q":                   {"La personne a-t-elle été jointe ?", "Was the person reached?"},
	"yes":                         {"Oui", "Yes"},
	"no":                          {"Non", "No"},
	"note":                        {"Note", "Note"},
	"emergency_called":            {"Les secours ont été appelés", "Emergency services were called"},
	"next":                        {"Prochain suivi (heure de la personne)", "Next follow-up (the person's time)"},
	"close_reason":                {"Ou clôturer le dossier, motif", "Or close the case, reason"},
	"person_agreed":               {"La personne est d'accord", "The person agrees"},
	"save":                        {"Enregistrer", "Save"},
	"history":                     {"Historique", "History"},
	"not_found":                   {"Dossier introuvable.", "Case not found."},
	"closure.resolved":            {"résolu", "resolved"},
	"closure.oriented":            {"orienté vers un partenaire", "oriented to a partner"},
	"closure.declined_help":       {"ne souhaite plus de suivi", "wants no more follow-up"},
	"closure.hospitalised":        {"hospitalisé", "hospitalised"},
	"closure.moved":               {"a déménagé", "moved away"},
	"closure.deceased":            {"décédé", "deceased"},
	"closure.other":               {"autre", "other"},
	"my_list":                     {"Ma liste", "My list"},
	"list_caption":                {"Suivis à faire, les plus pressants d'abord", "Follow-ups to do, most pressing first"},
	"list_empty":                  {"Aucun suivi en attente.", "No follow-up waiting."},
	"list_changed":                {"Votre liste a changé : afficher la nouvelle liste", "Your list has changed: show the new list"},
	"priority":                    {"Priorité", "Priority"},
	"why":                         {"Motif", "Why"},
	"person":                      {"Personne", "Person"},
	"phone":                       {"Téléphone", "Phone"},
	"their_time":                  {"Son heure", "Their time"},
	"due":                         {"À faire avant", "Due"},
	"pool":                        {"pool partagé", "shared pool"},
	"priority.urgent":             {"urgente", "urgent"},
	"priority.high":               {"haute", "high"},
	"priority.normal":             {"normale", "normal"},
	"priority.low":                {"basse", "low"},
	"reason.flagged":              {"a demandé un rappel (touche 2)", "asked for a call back (pressed 2)"},
	"reason.unreached":            {"injoignable aujourd'hui", "not reached today"},
	"reason.unreached_repeatedly": {"injoignable plusieurs fois de suite", "not reached several times in a row"},
	"reason.system_error":         {"nos appels ont échoué", "our calls failed"},
	"reason.missed":               {"appel non passé (panne)", "call not placed (outage)"},
	"reason.callback":             {"rappel prévu", "scheduled call back"},
	"reason.referral":             {"signalement avec inquiétude", "referral with a concern"},
	"reason.manual":               {"dossier ouvert par un coordinateur", "case opened by a coordinator"},
}

// text returns a word of the interface in lang (the key itself if missing, so
// a gap shows).
func text(lang wellcheck.Lang, key string) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	if lang == wellcheck.English {
		return t[1]
	}
	return t[0]
}

// langOf is the reader's language: English if their browser puts it before
// French, French otherwise.
func langOf(r *http.Request) wellcheck.Lang {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "fr"):
			return wellcheck.French
		case strings.HasPrefix(tag, "en"):
			return wellcheck.English
		}
	}
	return wellcheck.French
}
