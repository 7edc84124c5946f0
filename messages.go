package wellcheck

import (
	"fmt"
	"strings"
	"time"
)

// Lang is a user-interface language. French is the default.
type Lang string

const (
	French  Lang = "fr"
	English Lang = "en"
)

// ParseLang accepts "fr" or "en" (any case, region suffix ignored) and falls back
// to French.
func ParseLang(s string) Lang {
	s = strings.ToLower(strings.TrimSpace(s))
	if strings.HasPrefix(s, "en") {
		return English
	}
	return French
}

// Message is user-facing text identified by a catalogue key, rendered on demand in
// the reader's language.
type Message struct {
	Key  string
	Args []any
}

// Secret is a value the user typed that may identify someone (a phone number as
// typed): shown in full by Text, which is for the person who typed it, and masked
// by Logged, which is what Error() strings use.
type Secret string

// Date is a calendar date argument, written the reader's way (30/11/2026 in
// French, 2026-11-30 in English).
type Date time.Time

// Text renders the message in lang, nested Message arguments included; an unknown key renders as the key itself so
// that a missing translation is visible rather than silent.
func (m Message) Text(lang Lang) string { return m.render(lang, false) }

// Logged renders the message for a log line: in English, Secrets masked.
func (m Message) Logged() string { return m.render(English, true) }

func (m Message) render(lang Lang, mask bool) string {
	if m.Key == "list" {
		return joinList(m.Args, lang, mask)
	}
	tr, ok := catalogue[m.Key]
	if !ok {
		return m.Key
	}
	format := tr.fr
	if lang == English {
		format = tr.en
	}
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		args[i] = renderArg(a, lang, mask)
	}
	return Format(lang, format, args...)
}

// Format is fmt.Sprintf for the catalogues' texts, which agree with the
// numbers they hold: "{a|b}" is a when the count written last before it is
// singular in lang, b otherwise ("%d {ligne lue|lignes lues}"). French
// counts 0 and 1 as singular, English 1 only.
func Format(lang Lang, format string, args ...any) string {
	if strings.IndexByte(format, '{') >= 0 {
		format = agree(lang, format, args)
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// agree resolves format's "{singular|plural}" choices against the integer
// arguments of the verbs that precede them.
func agree(lang Lang, format string, args []any) string {
	var b strings.Builder
	arg, count := 0, -1 // the next verb's argument; the last count written
	for i := 0; i < len(format); i++ {
		switch c := format[i]; {
		case c == '%' && i+1 < len(format) && format[i+1] == '%':
			b.WriteString("%%")
			i++
		case c == '%':
			if arg < len(args) {
				if n, ok := args[arg].(int); ok {
					count = n
				}
			}
			arg++
			b.WriteByte(c)
		case c == '{':
			choice, rest, ok := strings.Cut(format[i+1:], "}")
			one, many, two := strings.Cut(choice, "|")
			if !ok || !two {
				b.WriteByte(c)
				continue
			}
			if count == 1 || count == 0 && lang != English {
				b.WriteString(one)
			} else {
				b.WriteString(many)
			}
			i = len(format) - len(rest) - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Text writes the date the reader's way.
func (d Date) Text(lang Lang) string { return fmt.Sprint(renderArg(d, lang, false)) }

func renderArg(a any, lang Lang, mask bool) any {
	switch v := a.(type) {
	case Message:
		return v.render(lang, mask)
	case Date:
		if lang == English {
			return time.Time(v).Format("2006-01-02")
		}
		return time.Time(v).Format("02/01/2006")
	case Secret:
		if mask {
			return MaskPhone(string(v))
		}
		return string(v)
	}
	return a
}

type translation struct{ fr, en string }

var catalogue = map[string]translation{
	"internal_error":                        {"une erreur interne est survenue ; l'équipe technique a été informée par le journal", "an internal error occurred; details are in the server log"},
	"not_found":                             {"introuvable", "not found"},
	"password_length":                       {"le mot de passe doit compter de %d à %d caractères", "the password must have %d to %d characters"},
	"case_forbidden":                        {"vous ne pouvez agir que sur vos dossiers et ceux du pool partagé", "you can act only on your own cases and those of the shared pool"},
	"case_closed":                           {"ce dossier est clos", "this case is closed"},
	"case_claim_listeners":                  {"seuls les écoutants prennent un dossier du pool ; un coordinateur l'attribue", "only listeners take a case from the pool; a coordinator assigns it"},
	"case_open_coordinators":                {"seuls les coordinateurs et administrateurs ouvrent un dossier", "only coordinators and admins open a case"},
	"case_taken":                            {"un autre écoutant vient de prendre ce dossier", "another listener has just taken this case"},
	"follow_up_not_reached":                 {"la personne n'a pas été jointe : indiquez quand rappeler, ou clôturez le dossier", "the person was not reached: say when to call again, or close the case"},
	"follow_up_next_or_close":               {"indiquez la date du prochain suivi, ou clôturez le dossier", "set the next follow-up, or close the case"},
	"follow_up_next_and_close":              {"un dossier clôturé n'a pas de prochain suivi : choisissez l'un ou l'autre", "a closed case has no next follow-up: choose one or the other"},
	"follow_up_next_past":                   {"le prochain suivi (%s) doit être dans le futur", "the next follow-up (%s) must be in the future"},
	"follow_up_next_too_far":                {"le prochain suivi doit avoir lieu dans les %d jours", "the next follow-up must be within %d days"},
	"required":                              {"obligatoire", "required"},
	"too_long":                              {"trop long (%d caractères au plus)", "too long (at most %d characters)"},
	"phone_taken":                           {"ce numéro est déjà inscrit pour %s (personne n° %d)", "this number is already enrolled for %s (person #%d)"},
	"phone_invalid":                         {"« %s » n'est pas un numéro de téléphone : un numéro français comme 06 12 34 56 78, ou international commençant par +", "%q is not a phone number: a French number such as 06 12 34 56 78, or an international one starting with +"},
	"phone_unknown_region":                  {"« %s » : indiquez l'indicatif du pays (+33…) ou un numéro national", "%q: give the country code (+33…) or a national number"},
	"phone_not_dialable":                    {"« %s » ne peut pas être appelé pour un appel de bien-être (%s)", "%q cannot be called for a check-in (%s)"},
	"phone_premium":                         {"numéro surtaxé", "premium-rate number"},
	"phone_shared_cost":                     {"numéro à coût partagé", "shared-cost number"},
	"phone_toll_free":                       {"numéro gratuit de service (numéro vert)", "toll-free service number"},
	"phone_extension":                       {"« %s » comporte un poste : indiquez la ligne directe de la personne, un standard pourrait répondre à sa place", "%q has an extension: give the person's direct line, a switchboard could answer in their place"},
	"phone_short":                           {"numéro court ou de service", "short or service number"},
	"phone_pager":                           {"numéro de messagerie ou de bip", "voicemail or pager number"},
	"phone_same_as_person":                  {"c'est le numéro de la personne elle-même", "this is the person's own number"},
	"time_zone_invalid":                     {"« %s » n'est pas un fuseau horaire connu : un lieu (France métropolitaine, Guadeloupe, La Réunion…) ou un fuseau comme America/Montreal", "%q is not a known time zone: a place (Mainland France, Guadeloupe, Réunion…) or a zone such as America/Montreal"},
	"language_invalid":                      {"« %s » n'est pas un code de langue (exemples : fr, en)", "%q is not a language code (for example fr, en)"},
	"choice_invalid":                        {"« %s » n'est pas une valeur possible (%s)", "%q is not one of the allowed values (%s)"},
	"date_invalid":                          {"« %s » n'est pas une date (AAAA-MM-JJ ou AAAA-MM-JJTHH:MM)", "%q is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)"},
	"date_too_old":                          {"la date %s est trop ancienne (avant 2000)", "the date %s is too old (before 2000)"},
	"control_char":                          {"contient un caractère invisible ou de contrôle (caractère n° %d) : retapez le texte", "holds an invisible or control character (character %d): type the text again"},
	"time_invalid":                          {"« %s » n'est pas une heure (par exemple 10:00 ou 10 h 30)", "%q is not a time (for example 10:00 or 10:30)"},
	"days_invalid":                          {"« %s » : indiquez des jours, par exemple « lundi, jeudi », « du lundi au vendredi » ou « tous les jours »", "%q: give days, for example \"Monday, Thursday\", \"Monday to Friday\" or \"every day\""},
	"number_between":                        {"un nombre de %d à %d", "a number from %d to %d"},
	"id_invalid":                            {"« %s » n'est pas un numéro", "%q is not a number"},
	"wrong_code":                            {"ce code n'est pas le bon, ou il a déjà servi : tapez le code affiché maintenant", "this code is not the right one, or it was already used: type the code shown now"},
	"code_locked":                           {"trop de codes faux : réessayez dans 15 minutes", "too many wrong codes: try again in 15 minutes"},
	"second_factor_exists":                  {"vous avez déjà une double authentification : désactivez-la d'abord", "you already have two-step verification: turn it off first"},
	"no_enrolment":                          {"aucune activation en cours : recommencez", "no enrolment under way: start again"},
	"no_second_factor":                      {"aucune double authentification n'est activée", "two-step verification is not turned on"},
	"second_factor_required":                {"la double authentification est obligatoire pour votre rôle", "two-step verification is required for your role"},
	"last_factor_required":                  {"c'est votre dernière méthode de double authentification et votre rôle en demande une : ajoutez-en une autre avant de retirer celle-ci", "this is your last two-step verification method and your role requires one: add another before removing this one"},
	"wrong_passkey":                         {"la clé d'accès n'a pas été reconnue, ou la demande a été annulée : réessayez, ou tapez un code", "the passkey was not recognised, or the request was cancelled: try again, or type a code"},
	"passkey_counter":                       {"cette clé d'accès a été refusée : son compteur est revenu en arrière, signe qu'elle a pu être copiée. Utilisez un code, et prévenez un administrateur", "this passkey was refused: its counter went backwards, a sign it may have been copied. Use a code, and tell an admin"},
	"passkey_expired":                       {"la demande de clé d'accès a expiré : recommencez", "the passkey request expired: start again"},
	"passkey_exists":                        {"cette clé d'accès est déjà enregistrée", "this passkey is already registered"},
	"no_passkey":                            {"aucune clé d'accès n'est enregistrée", "no passkey is registered"},
	"passkey_name":                          {"donnez-lui un nom de 1 à %d caractères", "give it a name of 1 to %d characters"},
	"self_lockout":                          {"vous ne pouvez pas retirer votre propre rôle d'administrateur ni désactiver votre compte", "you cannot remove your own admin role nor disable your own account"},
	"capacity_invalid":                      {"un nombre de 0 à %d", "a number from 0 to %d"},
	"period_backwards":                      {"la période finit avant de commencer", "the period ends before it starts"},
	"period_too_long":                       {"la période dépasse %d jours", "the period is longer than %d days"},
	"date_future":                           {"la date %s est dans le futur", "the date %s is in the future"},
	"window_invalid":                        {"« %s » n'est pas une plage horaire (HH:MM-HH:MM, début avant fin)", "%q is not a time range (HH:MM-HH:MM, start before end)"},
	"window_outside_hours":                  {"la plage d'appel %s dépasse les heures d'ouverture du service le %s (%s)", "the call window %s goes beyond the service's opening hours on %s (%s)"},
	"cron_invalid":                          {"« %s » n'est pas un planning cron à 5 champs (minute heure jour mois jour-de-semaine, exemple : 0 10 * * MON,WED,FRI) : %s", "%q is not a 5-field cron spec (minute hour day month weekday, for example 0 10 * * MON,WED,FRI): %s"},
	"cron_never":                            {"« %s » ne déclenche aucun appel dans les 12 prochains mois", "%q never fires in the next 12 months"},
	"cron_too_often":                        {"« %s » appellerait %d fois par jour ; %d au plus", "%q would call %d times a day; at most %d"},
	"cron_outside_window":                   {"« %s » appelle à %s, hors de la plage d'appel %s", "%q calls at %s, outside the call window %s"},
	"cron_closed_days":                      {"« %s » tombe des jours de fermeture (%s) : ces appels seront reportés au prochain jour ouvert", "%q falls on days the service is closed (%s): those calls move to the next open day"},
	"consent_missing":                       {"le consentement de la personne est obligatoire pour l'inscrire", "the person's consent is required to enrol them"},
	"representative_missing":                {"nom du représentant légal obligatoire quand il donne le consentement", "the legal representative's name is required when they give consent"},
	"no_emergency_contact":                  {"aucun contact d'urgence : recommandé pour pouvoir alerter un proche si la personne reste injoignable", "no emergency contact: recommended, so someone close can be alerted if the person stays unreached"},
	"retry_invalid":                         {"« %s » : des minutes entre les essais, séparées par des virgules (exemple : 15,30)", "%q: minutes between attempts, comma-separated (for example 15,30)"},
	"attempts_invalid":                      {"entre 1 et 10 essais", "between 1 and 10 attempts"},
	"attempts_not_number":                   {"« %s » n'est pas un nombre : entre 1 et 10 essais", "%q is not a number: between 1 and 10 attempts"},
	"referent_unknown":                      {"« %s » n'est pas un écoutant actif", "%q is not an active listener"},
	"user_unknown":                          {"aucun utilisateur actif « %s »", "no active user %q"},
	"user_not_coordinator":                  {"%s n'a pas le rôle coordinateur ou administrateur", "%s is not a coordinator or an admin"},
	"user_email_taken":                      {"un utilisateur « %s » existe déjà", "a user %q already exists"},
	"role_invalid":                          {"« %s » n'est pas un rôle (listener, coordinator, admin)", "%q is not a role (listener, coordinator, admin)"},
	"email_invalid":                         {"« %s » n'est pas une adresse e-mail", "%q is not an e-mail address"},
	"csv_header_missing":                    {"colonne obligatoire absente de l'en-tête : « %s » (voir le modèle)", "required column missing from the header: %q (see the model)"},
	"csv_header_unknown":                    {"colonne %s « %s » inconnue : donnez-lui un nom du modèle, ou retirez-la du fichier", "column %s %q is unknown: give it a name from the model, or take it out of the file"},
	"csv_header_duplicate":                  {"colonnes %s : « %s » deux fois", "columns %s: %q twice"},
	"csv_plan_missing":                      {"il faut les colonnes « %s » et « %s » (ou « %s » pour un planning cron)", "the columns %q and %q are needed (or %q for a cron spec)"},
	"csv_not_utf8":                          {"le fichier n'est pas en UTF-8 : enregistrez-le en « CSV UTF-8 », ou envoyez le classeur .xlsx lui-même", "the file is not UTF-8: save it as \"CSV UTF-8\", or send the .xlsx workbook itself"},
	"register_xls":                          {"ancien format Excel (.xls) : enregistrez le classeur au format .xlsx, ou en « CSV UTF-8 »", "old Excel format (.xls): save the workbook as .xlsx, or as \"CSV UTF-8\""},
	"register_ods":                          {"classeur OpenDocument (.ods) : enregistrez-le au format .xlsx, ou en « CSV UTF-8 »", "OpenDocument spreadsheet (.ods): save it as .xlsx, or as \"CSV UTF-8\""},
	"register_unreadable":                   {"ce classeur .xlsx ne peut pas être lu : enregistrez-le à nouveau depuis le tableur, ou en « CSV UTF-8 »", "this .xlsx workbook cannot be read: save it again from the spreadsheet, or as \"CSV UTF-8\""},
	"register_cell_outside":                 {"une valeur en colonne %s, hors des colonnes de l'en-tête", "a value in column %s, outside the header's columns"},
	"model_sheet":                           {"Personnes", "Persons"},
	"model_guide_sheet":                     {"Mode d'emploi", "How to fill in"},
	"model_guide_column":                    {"Colonne", "Column"},
	"model_guide_required":                  {"Obligatoire ?", "Required?"},
	"model_guide_what":                      {"Ce qu'on y écrit", "What goes in it"},
	"model_guide_example":                   {"Exemple", "Example"},
	"model_required":                        {"obligatoire", "required"},
	"model_optional":                        {"facultatif", "optional"},
	"column_help.full_name":                 {"Le nom et le prénom de la personne à appeler.", "The name of the person to call."},
	"column_example.full_name":              {"Jeanne Martin", "Jeanne Martin"},
	"column_help.phone":                     {"Son numéro : français (06 12 34 56 78) ou international commençant par +.", "Their number: French (06 12 34 56 78) or international, starting with +."},
	"column_example.phone":                  {"01 99 00 10 20", "01 99 00 10 20"},
	"column_help.days":                      {"Les jours d'appel : « du lundi au vendredi », « tous les jours », ou des jours (« lundi, jeudi »).", "The days to call: “Monday to Friday”, “every day”, or days (“Monday, Thursday”)."},
	"column_example.days":                   {"lundi, mercredi et vendredi", "Monday, Wednesday and Friday"},
	"column_help.time":                      {"L'heure de l'appel, dans le fuseau de la personne : 10:00 ou 10 h 30.", "The time of the call, in the person's time zone: 10:00 or 10:30."},
	"column_example.time":                   {"10:00", "10:00"},
	"column_help.window":                    {"La plage où les essais ont lieu (HH:MM-HH:MM). Vide : les heures d'ouverture du service.", "The range the attempts happen in (HH:MM-HH:MM). Empty: the service's opening hours."},
	"column_example.window":                 {"09:30-12:00", "09:30-12:00"},
	"column_help.referral_source":           {"Qui a signalé la personne : famille, médecin, services sociaux, bailleur, mairie, la personne, autre.", "Who referred the person: family, doctor, social services, landlord, town hall, self, other."},
	"column_example.referral_source":        {"famille", "family"},
	"column_help.referrer_name":             {"Le nom de la personne qui a signalé.", "The referrer's name."},
	"column_example.referrer_name":          {"Marie Martin (fille)", "Marie Martin (daughter)"},
	"column_help.referrer_phone":            {"Son numéro, pour la rappeler.", "Their number, to call them back."},
	"column_example.referrer_phone":         {"03 53 01 30 40", "03 53 01 30 40"},
	"column_help.referral_concern":          {"Ce qui inquiète la personne qui signale : un dossier est ouvert pour un écoutant.", "What worries the referrer: a case is opened for a listener."},
	"column_example.referral_concern":       {"Ne sort plus depuis l'été", "Has not gone out since the summer"},
	"column_help.referred_at":               {"La date du signalement (JJ/MM/AAAA). Vide : aujourd'hui.", "The referral's date (DD/MM/YYYY or YYYY-MM-DD). Empty: today."},
	"column_example.referred_at":            {"02/11/2026", "2026-11-02"},
	"column_help.consent_given_by":          {"Qui a consenti aux appels : la personne, ou son représentant légal.", "Who agreed to the calls: the person, or their legal representative."},
	"column_example.consent_given_by":       {"la personne", "person"},
	"column_help.consent_representative":    {"Le nom du représentant légal, s'il a consenti.", "The legal representative's name, if they agreed."},
	"column_example.consent_representative": {"", ""},
	"column_help.consent_given_at":          {"La date du consentement (JJ/MM/AAAA).", "The consent's date (DD/MM/YYYY or YYYY-MM-DD)."},
	"column_example.consent_given_at":       {"02/11/2026", "2026-11-02"},
	"column_help.consent_method":            {"Comment il a été recueilli : téléphone, papier, en personne.", "How it was given: phone, paper, in person."},
	"column_example.consent_method":         {"téléphone", "phone"},
	"column_help.language":                  {"La langue des appels (fr, en, ar…). Vide : celle du service.", "The calls' language (fr, en, ar…). Empty: the service's."},
	"column_example.language":               {"fr", "fr"},
	"column_help.time_zone":                 {"Où vit la personne, si ce n'est pas dans le fuseau du service : Guadeloupe, Martinique, Guyane, La Réunion, Mayotte, Nouvelle-Calédonie, Polynésie… (ou un fuseau comme America/Montreal).", "Where the person lives, when not in the service's zone: Guadeloupe, Martinique, French Guiana, Réunion, Mayotte, New Caledonia, French Polynesia… (or a zone such as America/Montreal)."},
	"column_example.time_zone":              {"La Réunion", "Réunion"},
	"column_help.address":                   {"Son adresse.", "Their address."},
	"column_example.address":                {"12 rue des Lilas", "12 rue des Lilas"},
	"column_help.postcode":                  {"Son code postal.", "Their postcode."},
	"column_example.postcode":               {"75011", "75011"},
	"column_help.city":                      {"Sa commune.", "Their town."},
	"column_example.city":                   {"Paris", "Paris"},
	"column_help.risk_level":                {"Faible, normal ou élevé : un risque élevé donne la priorité à ses suivis. Vide : normal.", "Low, normal or high: a high risk puts their follow-ups first. Empty: normal."},
	"column_example.risk_level":             {"normal", "normal"},
	"column_help.referent_email":            {"L'e-mail de l'écoutant qui suit la personne, s'il y en a un.", "The e-mail of the listener who follows the person, if any."},
	"column_example.referent_email":         {"", ""},
	"column_help.notes":                     {"Ce qu'un écoutant doit savoir avant d'appeler : audition, langue, meilleur moment…", "What a listener should know before calling: hearing, language, best time…"},
	"column_example.notes":                  {"Malentendante : parler lentement", "Hard of hearing: speak slowly"},
	"column_help.max_attempts":              {"Le nombre d'essais par jour (1 à 10). Vide : la règle du service.", "The attempts a day (1 to 10). Empty: the service's rule."},
	"column_example.max_attempts":           {"", ""},
	"column_help.retry_minutes":             {"Les minutes entre les essais, séparées par des virgules (15,30). Vide : la règle du service.", "The minutes between attempts, comma-separated (15,30). Empty: the service's rule."},
	"column_example.retry_minutes":          {"", ""},
	"column_help.cron":                      {"Pour les experts : un planning cron à 5 champs, à la place des jours et de l'heure.", "For experts: a 5-field cron spec, instead of the days and the time."},
	"column_example.cron":                   {"", ""},
	"column_help.contact_name":              {"Le nom du contact d'urgence n° %d, appelé si la personne reste injoignable.", "The name of emergency contact %d, called when the person stays unreached."},
	"column_example.contact_name":           {"Germaine Martin", "Germaine Martin"},
	"column_help.contact_relation":          {"Son lien avec la personne (contact n° %d).", "Their relation to the person (contact %d)."},
	"column_example.contact_relation":       {"fille", "daughter"},
	"column_help.contact_phone":             {"Le numéro du contact n° %d.", "Contact %d's number."},
	"column_example.contact_phone":          {"03 53 01 30 40", "03 53 01 30 40"},
	"column_help.contact_language":          {"La langue des appels au contact n° %d. Vide : celle du service.", "The language of calls to contact %d. Empty: the service's."},
	"column_example.contact_language":       {"", ""},
	"column_help.contact_consent":           {"Oui si la personne accepte que le contact n° %d soit appelé quand elle reste injoignable.", "Yes if the person agrees that contact %d be called when they stay unreached."},
	"column_example.contact_consent":        {"oui", "yes"},
	"import_in_column":                      {"colonne %s (%s) : %s", "column %s (%s): %s"},
	"import_in_columns":                     {"colonnes %s (%s) : %s", "columns %s (%s): %s"},
	"column.full_name":                      {"Nom et prénom", "Full name"},
	"column.phone":                          {"Téléphone", "Phone"},
	"column.days":                           {"Jours d'appel", "Days to call"},
	"column.time":                           {"Heure d'appel", "Time to call"},
	"column.window":                         {"Plage d'appel", "Call window"},
	"column.referral_source":                {"Origine du signalement", "Referral source"},
	"column.referrer_name":                  {"Nom de la personne qui signale", "Referrer's name"},
	"column.referrer_phone":                 {"Téléphone de la personne qui signale", "Referrer's phone"},
	"column.referral_concern":               {"Inquiétude signalée", "Referrer's concern"},
	"column.referred_at":                    {"Date du signalement", "Referral date"},
	"column.consent_given_by":               {"Consentement donné par", "Consent given by"},
	"column.consent_representative":         {"Représentant légal", "Legal representative"},
	"column.consent_given_at":               {"Date du consentement", "Consent date"},
	"column.consent_method":                 {"Recueil du consentement", "How consent was given"},
	"column.language":                       {"Langue", "Language"},
	"column.time_zone":                      {"Fuseau horaire", "Time zone"},
	"column.address":                        {"Adresse", "Address"},
	"column.postcode":                       {"Code postal", "Postcode"},
	"column.city":                           {"Commune", "Town"},
	"column.risk_level":                     {"Niveau de risque", "Risk level"},
	"column.referent_email":                 {"Écoutant référent (e-mail)", "Referent listener (e-mail)"},
	"column.notes":                          {"À savoir avant d'appeler", "Before you call"},
	"column.max_attempts":                   {"Nombre d'essais", "Attempts"},
	"column.retry_minutes":                  {"Délais entre essais (minutes)", "Retry delays (minutes)"},
	"column.cron":                           {"Planning cron (expert)", "Cron spec (expert)"},
	"column.contact1_name":                  {"Contact 1 — nom", "Contact 1 name"},
	"column.contact1_relation":              {"Contact 1 — lien", "Contact 1 relation"},
	"column.contact1_phone":                 {"Contact 1 — téléphone", "Contact 1 phone"},
	"column.contact1_language":              {"Contact 1 — langue", "Contact 1 language"},
	"column.contact1_consent":               {"Contact 1 — accord pour l'appeler (oui/non)", "Contact 1 may be called (yes/no)"},
	"column.contact2_name":                  {"Contact 2 — nom", "Contact 2 name"},
	"column.contact2_relation":              {"Contact 2 — lien", "Contact 2 relation"},
	"column.contact2_phone":                 {"Contact 2 — téléphone", "Contact 2 phone"},
	"column.contact2_language":              {"Contact 2 — langue", "Contact 2 language"},
	"column.contact2_consent":               {"Contact 2 — accord pour l'appeler (oui/non)", "Contact 2 may be called (yes/no)"},
	"column.contact3_name":                  {"Contact 3 — nom", "Contact 3 name"},
	"column.contact3_relation":              {"Contact 3 — lien", "Contact 3 relation"},
	"column.contact3_phone":                 {"Contact 3 — téléphone", "Contact 3 phone"},
	"column.contact3_language":              {"Contact 3 — langue", "Contact 3 language"},
	"column.contact3_consent":               {"Contact 3 — accord pour l'appeler (oui/non)", "Contact 3 may be called (yes/no)"},
	"csv_quote_swallowed":                   {"un guillemet ouvert à la ligne %d n'est pas refermé sur cette ligne (le champ court jusqu'à la ligne %d) : rien n'a été importé ; corrigez le fichier", "a quote opened on line %d is not closed on that line (the field runs on to line %d): nothing was imported; fix the file"},
	"csv_quote":                             {"ligne mal formée : guillemet en trop ou manquant dans un champ entre guillemets", "malformed line: extra or missing quote in a quoted field"},
	"csv_bare_quote":                        {"ligne mal formée : guillemet isolé dans un champ (mettez le champ entre guillemets et doublez le guillemet)", "malformed line: stray quote in a field (quote the field and double the quote)"},
	"csv_field_count":                       {"ligne mal formée : %d champs, l'en-tête en a %d", "malformed line: %d fields, the header has %d"},
	"csv_empty":                             {"le fichier ne contient aucune personne", "the file holds no person"},
	"csv_duplicate_phone":                   {"même numéro qu'à la ligne %d", "same number as on line %d"},
	"import_had_errors":                     {"%d {ligne invalide|lignes invalides} : rien n'a été importé (corrigez-les, ou relancez avec --skip-invalid pour importer les lignes valides)", "%d invalid {line|lines}: nothing was imported (fix them, or run again with --skip-invalid to import the valid lines)"},
	"plan_in_words":                         {"%s vers %s", "%s around %s"},
	"plan_at_hour":                          {"%d h", "%d:00"},
	"plan_at":                               {"%d h %02d", "%d:%02d"},
	"plan_every_day":                        {"tous les jours", "every day"},
	"plan_monday_to_friday":                 {"du lundi au vendredi", "Monday to Friday"},
	"and":                                   {"et", "and"},
	"weekday_0":                             {"dimanche", "Sunday"},
	"weekday_1":                             {"lundi", "Monday"},
	"weekday_2":                             {"mardi", "Tuesday"},
	"weekday_3":                             {"mercredi", "Wednesday"},
	"weekday_4":                             {"jeudi", "Thursday"},
	"weekday_5":                             {"vendredi", "Friday"},
	"weekday_6":                             {"samedi", "Saturday"},
	"cron_tz_prefix":                        {"le fuseau horaire se règle à part, pas dans le planning", "the time zone is set separately, not in the spec"},
	"cron_field_count":                      {"il faut exactement 5 champs", "exactly 5 fields are needed"},
	"cron_bad_minute":                       {"les minutes (« %s ») doivent être un nombre de 0 à 59, une liste (0,30), une plage (0-15) ou *", "the minute (%q) must be a number from 0 to 59, a list (0,30), a range (0-15) or *"},
	"cron_bad_hour":                         {"l'heure (« %s ») doit être un nombre de 0 à 23, une liste (9,14), une plage (9-17) ou *", "the hour (%q) must be a number from 0 to 23, a list (9,14), a range (9-17) or *"},
	"cron_bad_day":                          {"le jour du mois (« %s ») doit être un nombre de 1 à 31, une liste (1,15), une plage (1-7) ou *", "the day of the month (%q) must be a number from 1 to 31, a list (1,15), a range (1-7) or *"},
	"cron_bad_month":                        {"le mois (« %s ») doit être un nombre de 1 à 12 ou JAN à DEC, une liste (1,7), une plage (6-8) ou *", "the month (%q) must be a number from 1 to 12 or JAN to DEC, a list (1,7), a range (6-8) or *"},
	"cron_bad_weekday":                      {"le jour de la semaine (« %s ») doit être MON, TUE, WED, THU, FRI, SAT, SUN (ou 0 à 6, 0 pour dimanche), une liste (MON,THU), une plage (MON-FRI) ou *", "the weekday (%q) must be MON, TUE, WED, THU, FRI, SAT, SUN (or 0 to 6, 0 for Sunday), a list (MON,THU), a range (MON-FRI) or *"},
	"cron_bad":                              {"une valeur ne convient pas", "a value does not fit"},
	"verbatim":                              {"%s", "%s"},
	"list_and":                              {" et ", " and "},
	"slot_planned":                          {"appel", "call"},
	"slot_moved":                            {"appel déplacé", "call moved"},
	"slot_dropped":                          {"pas d'appel", "no call"},
	"slot_closed":                           {"service fermé ce jour-là", "service closed that day"},
	"slot_holiday":                          {"jour férié", "public holiday"},
	"slot_closure":                          {"fermeture", "closure"},
	"slot_merged":                           {"regroupé avec l'appel de ce jour", "merged into that day's call"},
	"slot_paused":                           {"suivi en pause", "follow-up paused"},
	"slot_outside_hours":                    {"hors plage ou heures d'ouverture", "outside the window or opening hours"},
	"slot_no_open_day":                      {"aucun jour ouvert dans le mois", "no open day within a month"},
	"slot_moved_from":                       {"prévu %s", "planned for %s"},
	"weekday_date":                          {"%s %s", "%s %s"},
	"closed":                                {"fermé", "closed"},
	"phone_race":                            {"un numéro vient d'être inscrit par quelqu'un d'autre : rien n'a été enregistré, recommencez pour voir qui le détient", "a number was just enrolled by someone else: nothing was saved; try again to see who holds it"},
	"conflict_generic":                      {"cette donnée existe déjà (%s)", "this already exists (%s)"},
	"person_withdrawn":                      {"cette personne a retiré son consentement : elle n'est plus appelée et son inscription ne change plus", "this person withdrew their consent: they are no longer called and their enrolment no longer changes"},
	"closure_backwards":                     {"la fermeture finit avant de commencer", "the closure ends before it starts"},
	"pause_in_past":                         {"la reprise des appels (%s) doit être dans le futur", "calls must resume (%s) in the future"},
	"pause_too_long":                        {"une pause dure un an au plus (reprise demandée le %s)", "a pause lasts a year at most (resumption asked for %s)"},
	"person_not_paused":                     {"cette personne n'est pas en pause", "this person is not paused"},
	"partner_unknown":                       {"ce partenaire n'est plus dans l'annuaire", "this partner is no longer in the directory"},
	"hours_none_open":                       {"le service doit être ouvert au moins un jour", "the service must be open at least one day"},
	"confirm_missing":                       {"cochez la case pour confirmer", "tick the box to confirm"},
	"too_many":                              {"%d au plus", "%d at most"},
	"sip_uri_invalid":                       {"%s n'est pas une adresse SIP (sip:utilisateur@hôte)", "%s is not a SIP address (sip:user@host)"},
	"no_prompts":                            {"pas de messages dans la langue « %s » (il y en a en : %s)", "no prompts in language %q (there are in: %s)"},
	"no_line":                               {"ce serveur n'a pas de ligne téléphonique configurée", "this server has no telephone line configured"},
	"test_call_underway":                    {"votre appel de test précédent n'est pas fini : attendez son résultat", "your previous test call has not ended: wait for its result"},
	"preview_days":                          {"de 1 à %d jours", "from 1 to %d days"},
	"invalid_generic":                       {"donnée refusée par la base (%s)", "the database refused this value (%s)"},
	// Command-line output.
	"cli_enrolled":         {"Inscription enregistrée : %s (personne n° %d), %s — appels « %s », %s (%s)", "Enrolled: %s (person #%d), %s — calls %q, %s (%s)"},
	"cli_warning":          {"Attention : %s", "Warning: %s"},
	"cli_preview_head":     {"Planning « %s », plage %s, fuseau %s, calendrier %s : %d {appel|appels}", "Plan %q, window %s, zone %s, calendar %s: %d {call|calls}"},
	"cli_case_opened":      {"Dossier ouvert : l'inquiétude signalée est sur la liste de l'écoutant référent, ou des écoutants à défaut.", "Case opened: the referrer's concern is on the referent listener's list, or the listeners' shared list."},
	"cli_row_error":        {"ligne %d : %s", "line %d: %s"},
	"cli_row_warning":      {"%d {ligne|lignes} — attention : %s ({ligne|lignes} %s)", "%d {line|lines} — warning: %s ({line|lines} %s)"},
	"cli_import_dry_run":   {"Vérification seule : %d {ligne lue|lignes lues}, %d {valide|valides}, %d {invalide|invalides} ; rien n'a été importé.", "Dry run: %d {line|lines} read, %d valid, %d invalid; nothing was imported."},
	"cli_import_done":      {"%d {ligne lue|lignes lues}, %d {personne inscrite|personnes inscrites}, %d {ligne invalide écartée|lignes invalides écartées}.", "%d {line|lines} read, %d {person|persons} enrolled, %d invalid {line|lines} left out."},
	"cli_user_added":       {"Utilisateur ajouté : %s <%s> (n° %d), rôles : %s", "User added: %s <%s> (#%d), roles: %s"},
	"cli_user_password":    {"Mot de passe (affiché une seule fois, à transmettre à la personne) : %s", "Password (shown once, to pass on to the person): %s"},
	"cli_user_mfa_reset":   {"Double authentification de %s <%s> (n° %d) réinitialisée : ses sessions sont fermées ; elle en activera une nouvelle à sa prochaine connexion si son rôle la demande.", "Two-step verification of %s <%s> (#%d) reset: their sessions are ended; they will turn on a new one at their next sign-in if their role requires it."},
	"cli_user_exists":      {"L'utilisateur %s existe déjà (n° %d) : rien n'a changé.", "User %s already exists (#%d): nothing changed."},
	"cli_person_plan":      {"Planning de la personne n° %d : « %s », plage %s. Appels replanifiés :", "Plan of person #%d: %q, window %s. Calls re-planned:"},
	"cli_person_paused":    {"Personne n° %d en pause jusqu'au %s. Appels restants :", "Person #%d paused until %s. Calls left:"},
	"cli_person_resumed":   {"Personne n° %d : les appels reprennent. Appels prévus :", "Person #%d: calls resume. Calls planned:"},
	"cli_person_withdrawn": {"Personne n° %d : consentement retiré, plus aucun appel.", "Person #%d: consent withdrawn, no more calls."},
	"cli_person_calls":     {"%d {appel prévu|appels prévus}.", "%d {call|calls} planned."},
	"cli_closure_added":    {"Fermeture n° %d enregistrée, du %s au %s.", "Closure #%d recorded, from %s to %s."},
	"cli_closure_deleted":  {"Fermeture n° %d supprimée.", "Closure #%d deleted."},
	"cli_replanned":        {"Appels replanifiés pour %d {personne|personnes}.", "Calls re-planned for %d {person|persons}."},
	"cli_token_added":      {"Jeton d'API n° %d « %s » créé pour %s, avec ses rôles. Le voici ; il ne sera plus affiché :", "API token #%d %q created for %s, with their roles. Here it is; it will not be shown again:"},
	"cli_token_revoked":    {"Jeton d'API n° %d « %s » révoqué : il ne donne plus accès.", "API token #%d %q revoked: it lets nobody in any more."},
	"cli_token_unknown":    {"aucun jeton d'API n° %d", "no API token #%d"},
	"json_invalid":         {"le corps n'est pas un JSON lisible", "the body is not readable JSON"},
	"json_empty":           {"le corps est vide : un objet JSON est attendu", "the body is empty: a JSON object is expected"},
	"json_truncated":       {"JSON incomplet : le texte s'arrête avant la fin (une accolade ou un guillemet non refermé ?)", "incomplete JSON: the text ends too soon (a brace or a quote left open?)"},
	"json_syntax":          {"JSON mal formé à la ligne %d, caractère %d : vérifiez les virgules, guillemets et accolades à cet endroit", "malformed JSON on line %d, character %d: check the commas, quotes and braces there"},
	"json_trailing":        {"le texte continue après l'objet JSON : un seul est attendu", "text follows the JSON object: only one is expected"},
	"json_unknown_field":   {"champ inconnu : « %s »", "unknown field: %q"},
	"json_type":            {"« %s » (ligne %d) : il faut %s, pas %s", "%q (line %d): %s expected, not %s"},
	"json_type_body":       {"il faut %s, pas %s", "%s expected, not %s"},
	"json_kind.string":     {"un texte", "text"},
	"json_kind.number":     {"un nombre", "a number"},
	"json_kind.whole":      {"un nombre entier", "a whole number"},
	"json_kind.bool":       {"true ou false", "true or false"},
	"json_kind.array":      {"une liste", "a list"},
	"json_kind.object":     {"un objet", "an object"},
	"time_zone_missing":    {"tapez le fuseau horaire (exemple : America/Montreal), ou choisissez un lieu dans la liste", "type the time zone (for example America/Montreal), or choose a place from the list"},
}

var fieldLabels = map[string]translation{
	"person.full_name":            {"nom", "name"},
	"person.phone":                {"téléphone", "phone"},
	"person.language":             {"langue", "language"},
	"person.time_zone":            {"fuseau horaire", "time zone"},
	"person.paused_until":         {"reprise des appels", "calls resume"},
	"closure.from":                {"début de la fermeture", "closure start"},
	"closure.to":                  {"fin de la fermeture", "closure end"},
	"closure.reason":              {"motif de la fermeture", "closure reason"},
	"person.risk_level":           {"niveau de risque", "risk level"},
	"person.notes":                {"à savoir avant d'appeler (notes)", "before you call (notes)"},
	"person.address":              {"adresse", "address"},
	"person.postcode":             {"code postal", "postcode"},
	"person.city":                 {"commune", "town"},
	"person.referent":             {"écoutant référent", "referent listener"},
	"referral.concern":            {"inquiétude signalée", "referrer's concern"},
	"contact.relation":            {"lien du contact d'urgence", "emergency contact's relation"},
	"referral.source":             {"origine du signalement", "referral source"},
	"referral.referrer_name":      {"nom de la personne qui signale", "referrer's name"},
	"referral.referrer_phone":     {"téléphone de la personne qui signale", "referrer's phone"},
	"referral.referred_at":        {"date du signalement", "referral date"},
	"referral.taken_by":           {"signalement pris par", "referral taken by"},
	"consent":                     {"consentement", "consent"},
	"consent.given_by":            {"consentement donné par", "consent given by"},
	"consent.representative_name": {"représentant légal", "legal representative"},
	"consent.given_at":            {"date du consentement", "consent date"},
	"consent.method":              {"recueil du consentement", "how consent was given"},
	"plan.cron":                   {"planning", "plan"},
	"plan.days":                   {"jours d'appel", "days to call"},
	"plan.time":                   {"heure d'appel", "time to call"},
	"plan.window":                 {"plage d'appel", "call window"},
	"plan.max_attempts":           {"nombre d'essais", "attempts"},
	"plan.retry_minutes":          {"délais entre essais", "retry delays"},
	"contacts":                    {"contacts d'urgence", "emergency contacts"},
	"contact.full_name":           {"nom du contact d'urgence", "emergency contact's name"},
	"contact.phone":               {"téléphone du contact d'urgence", "emergency contact's phone"},
	"contact.language":            {"langue du contact d'urgence", "emergency contact's language"},
	"contact.consent":             {"accord de la personne pour appeler ce contact", "the person's consent to call this contact"},
	"next":                        {"prochain suivi", "next follow-up"},
	"note":                        {"note", "note"},
	"close.reason":                {"motif de clôture", "reason for closing"},
	"assignee":                    {"écoutant", "listener"},
	"priority":                    {"priorité", "priority"},
	"file":                        {"fichier", "file"},
	"days":                        {"nombre de jours", "number of days"},
	"confirm":                     {"confirmation", "confirmation"},
	"hours":                       {"heures d'ouverture", "opening hours"},
	"hour":                        {"heures d'ouverture, jour", "opening hours, day"},
	"partner":                     {"partenaire", "partner"},
	"partner.name":                {"nom du partenaire", "partner's name"},
	"partner.kind":                {"type d'aide", "kind of help"},
	"partner.areas":               {"territoire desservi", "area served"},
	"partner.phone":               {"téléphone du partenaire", "partner's phone"},
	"partner.hours":               {"horaires", "opening hours"},
	"header":                      {"en-tête", "header"},
	"user.email":                  {"e-mail", "e-mail"},
	"user.password":               {"mot de passe", "password"},
	"mfa.code":                    {"code", "code"},
	"passkey.name":                {"nom de la clé d'accès", "passkey name"},
	"passkey":                     {"clé d'accès", "passkey"},
	"user.full_name":              {"nom", "name"},
	"user.roles":                  {"rôle", "role"},
	"user.languages":              {"langues parlées", "languages spoken"},
	"settings.calendar":           {"jours fériés", "public holidays"},
	"settings.cutoff":             {"heure limite des appels du jour", "the day's calls cut-off"},
	"settings.max_attempts":       {"appels par créneau au plus", "calls per slot at most"},
	"settings.retry_minutes":      {"minutes entre deux appels", "minutes between calls"},
	"settings.max_calls_per_day":  {"appels par jour et par personne au plus", "calls per person per day at most"},
	"settings.urgent_after":       {"jours injoignables de suite avant l'urgence", "days not reached in a row before urgent"},
	"settings.caller_number":      {"numéro présenté", "caller number"},
	"settings.caller_name":        {"nom présenté", "caller name"},
	"test.target":                 {"numéro ou adresse SIP à appeler", "number or SIP address to call"},
	"test.script":                 {"message", "prompts"},
	"test.lang":                   {"langue", "language"},
	"settings.keep_closed_cases":  {"conservation des dossiers clôturés (jours)", "closed cases kept (days)"},
	"settings.keep_withdrawn":     {"conservation après retrait du consentement (jours)", "kept after consent is withdrawn (days)"},
	"settings.keep_audit":         {"conservation du journal d'audit (jours)", "audit log kept (days)"},
	"audit.person":                {"personne (nom ou n°)", "person (name or #)"},
	"audit.actor":                 {"qui", "who"},
	"audit.action":                {"action", "action"},
	"audit.since":                 {"du", "from"},
	"audit.until":                 {"au", "to"},
	"user.capacity":               {"capacité (écoutants)", "capacity (listeners)"},
	"export.what":                 {"données", "data"},
	"listener.languages":          {"langues parlées", "languages spoken"},
	"listener.skills":             {"compétences", "skills"},
	"listener.capacity":           {"capacité (suivis en attente au plus)", "capacity (follow-ups waiting at most)"},
	"shift":                       {"permanence, jour", "shift, day"},
	"export.from":                 {"du", "from"},
	"export.to":                   {"au", "to"},
	"plan.repeat":                 {"jours", "days"},
	"person.time_zone_other":      {"autre fuseau horaire", "another time zone"},
}

// List joins items (strings or Messages) as "a, b et c" in the reader's language.
func List(items []any) Message { return Message{Key: "list", Args: items} }

// WeekdayName names a weekday for a user.
func WeekdayName(d time.Weekday) Message { return Message{Key: fmt.Sprintf("weekday_%d", int(d))} }

// KnownField reports whether field has a label in the catalogue.
func KnownField(field string) bool {
	_, ok := fieldLabels[fieldKey(field)]
	return ok
}

// FieldLabel names a field for a user. Indexed fields ("contacts[2].phone") use the
// label of their family ("contact.phone") followed by the position.
func FieldLabel(field string, lang Lang) string {
	key, pos := fieldKey(field), ""
	if i := strings.Index(field, "["); i >= 0 {
		if j := strings.Index(field[i:], "]"); j > 0 {
			pos = field[i+1 : i+j]
		}
	}
	tr, ok := fieldLabels[key]
	if !ok {
		return field
	}
	label := tr.fr
	if lang == English {
		label = tr.en
	}
	if pos != "" {
		label += " " + pos
	}
	return label
}

func joinList(items []any, lang Lang, mask bool) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = fmt.Sprint(renderArg(it, lang, mask))
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	and := Message{Key: "list_and"}.Text(lang)
	return strings.Join(parts[:len(parts)-1], ", ") + and + parts[len(parts)-1]
}

// fieldKey maps "contacts[2].phone" to its catalogue family "contact.phone".
func fieldKey(field string) string {
	if i := strings.Index(field, "["); i >= 0 {
		if j := strings.Index(field[i:], "]"); j > 0 {
			return strings.TrimSuffix(field[:i], "s") + field[i+j+1:]
		}
	}
	return field
}
