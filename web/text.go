package web

import (
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wellcheck/wellcheck"
)

// texts are the interface's words, French first.
var texts = map[string][2]string{
	"dashboard":      {"Tableau de bord", "Dashboard"},
	"dashboard_zone": {"Heures et jours du service (%s).", "The service's hours and days (%s)."},
	"storm.title":    {"La ligne téléphonique est en panne : les appels automatiques sont suspendus.", "The telephone line is failing: automatic calls are on hold."},
	"storm.now": {"Depuis %[2]s, presque tous les appels échouent de la même façon (%[1]s), vers des personnes différentes : c'est la ligne, pas les personnes. Ces appels ne comptent contre personne et aucun proche n'est appelé pour eux. Un appel d'essai part toutes les quelques minutes ; les appels reprennent d'eux-mêmes dès que la ligne fonctionne, dans les plages de chacun. Prévenez l'opérateur si cela dure.",
		"Since %[2]s, nearly every call has failed the same way (%[1]s), to different persons: it is the line, not the persons. These calls count against nobody and no family member is called because of them. A test call goes out every few minutes; calls resume by themselves as soon as the line works, within each person's hours. Tell the carrier if it lasts."},
	"storm.over":                       {"La ligne a été en panne de %s à %s (%s) : les appels manqués ont été refaits.", "The line failed from %s to %s (%s): the calls it failed were placed again."},
	"fault.unanswered":                 {"ligne injoignable, 480 ou 408", "line unreachable, 480 or 408"},
	"fault.rang_out":                   {"ça sonne sans que personne décroche", "rings with nobody picking up"},
	"fault.busy":                       {"occupé", "busy"},
	"fault.declined":                   {"appels rejetés, 603", "calls declined, 603"},
	"fault.invalid_number":             {"numéros inexistants, 404", "numbers that do not exist, 404"},
	"fault.silent":                     {"décroché sans qu'aucune touche soit entendue", "answered, no key heard"},
	"fault.refused":                    {"l'opérateur refuse nos appels, 401 ou 403", "the carrier refuses our calls, 401 or 403"},
	"fault.server_error":               {"erreur chez l'opérateur, 5xx", "error at the carrier, 5xx"},
	"fault.unreachable":                {"opérateur injoignable", "carrier unreachable"},
	"attempt.trunk":                    {"essai %d : %s — panne de la ligne, compté contre personne", "attempt %d: %s — the line failed, counted against nobody"},
	"today":                            {"Aujourd'hui", "Today"},
	"cases":                            {"Dossiers", "Cases"},
	"stat.due":                         {"appels prévus", "calls planned"},
	"stat.placed":                      {"appels passés", "calls placed"},
	"stat.confirmed":                   {"vont bien (touche 1)", "all well (pressed 1)"},
	"stat.flagged":                     {"demandent un rappel (touche 2)", "asked for a call back (pressed 2)"},
	"stat.unreached":                   {"injoignables", "not reached"},
	"stat.undeliverable":               {"numéros invalides", "numbers that do not work"},
	"stat.in_progress":                 {"en cours d'appel", "being called now"},
	"stat.planned":                     {"encore à appeler", "still to call"},
	"stat.channels":                    {"lignes utilisées en ce moment", "phone lines in use now"},
	"stat.cases_opened":                {"dossiers ouverts", "cases opened"},
	"stat.cases_closed":                {"dossiers clôturés", "cases closed"},
	"stat.follow_ups_done":             {"suivis faits", "follow-ups done"},
	"stat.pool":                        {"dossiers en attente d'un écoutant", "cases waiting for a listener"},
	"stat.assigned":                    {"dossiers pris par un écoutant", "cases taken by a listener"},
	"stat.urgent":                      {"dossiers urgents", "urgent cases"},
	"listener_load":                    {"Charge des écoutants", "Listeners' load"},
	"listener":                         {"Écoutant", "Listener"},
	"presence":                         {"Présence", "Presence"},
	"load_title":                       {"Suivis en attente", "Follow-ups waiting"},
	"no_listeners":                     {"Aucun écoutant actif.", "No active listener."},
	"last_days":                        {"Les 30 derniers jours", "The last 30 days"},
	"chart_checkins":                   {"Appels de bien-être par jour, selon leur issue", "Wellbeing calls per day, by outcome"},
	"chart_cases":                      {"Dossiers ouverts et clôturés, suivis faits, par jour", "Cases opened and closed, follow-ups done, per day"},
	"figures":                          {"Les chiffres", "The figures"},
	"export":                           {"Exporter (CSV)", "Export (CSV)"},
	"export.check-ins":                 {"appels de bien-être", "wellbeing calls"},
	"export.cases":                     {"dossiers", "cases"},
	"export.file.check-ins":            {"appels", "check-ins"},
	"export.file.cases":                {"dossiers", "cases"},
	"download_csv":                     {"Télécharger", "Download"},
	"export_hint":                      {"Un an au plus. Les numéros de téléphone ne sont pas exportés ; l'export est inscrit au journal.", "A year at most. Phone numbers are not exported; the export is logged."},
	"stat.retries":                     {"dont rappels automatiques", "of them, automatic retries"},
	"stat.cases_opened_today":          {"dossiers ouverts aujourd'hui", "cases opened today"},
	"stat.follow_ups_today":            {"suivis faits aujourd'hui", "follow-ups done today"},
	"summary":                          {"%s pour %s, dont %s.", "%s for %s, %s among them."},
	"summary.no_retries":               {"%s pour %s.", "%s for %s."},
	"n_placed":                         {"%d appels passés", "%d calls placed"},
	"n_placed.one":                     {"%d appel passé", "%d call placed"},
	"n_due":                            {"%d prévus", "%d planned"},
	"n_due.one":                        {"%d prévu", "%d planned"},
	"n_retries":                        {"%d rappels automatiques", "%d automatic retries"},
	"n_retries.one":                    {"%d rappel automatique", "%d automatic retry"},
	"chart_checkins_y":                 {"appels prévus", "calls planned"},
	"chart_cases_y":                    {"nombre", "number"},
	"col.check_in":                     {"appel n°", "check-in id"},
	"col.case":                         {"dossier n°", "case id"},
	"col.person_id":                    {"personne n°", "person id"},
	"col.name":                         {"nom", "name"},
	"col.slot":                         {"créneau", "slot"},
	"col.state":                        {"issue", "outcome"},
	"col.calls":                        {"appels passés", "calls placed"},
	"col.last_outcome":                 {"dernier appel", "last call"},
	"col.opened":                       {"ouvert le", "opened"},
	"col.why":                          {"motif", "reason"},
	"col.priority":                     {"priorité", "priority"},
	"col.listener":                     {"écoutant", "listener"},
	"col.follow_ups":                   {"suivis faits", "follow-ups done"},
	"col.closed":                       {"clôturé le", "closed"},
	"col.closure":                      {"motif de clôture", "closure reason"},
	"col.agreed":                       {"accord de la personne", "person agreed"},
	"import":                           {"Importer un registre", "Import a register"},
	"import_file":                      {"Envoyer le registre", "Send the register"},
	"import_another":                   {"Vérifier un autre fichier", "Check another file"},
	"import_csv":                       {"Registre (.xlsx ou .csv)", "Register (.xlsx or .csv)"},
	"import_formats":                   {"Un classeur Excel (.xlsx, sa première feuille) ou un fichier CSV en UTF-8, avec une ligne d'en-tête. Chaque ligne est vérifiée d'abord : personne n'est inscrit avant votre confirmation.", "An Excel workbook (.xlsx, its first sheet) or a CSV file in UTF-8, with a header line. Every line is checked first: nobody is enrolled before you confirm."},
	"import_model_title":               {"Partir du modèle", "Start from the model"},
	"import_model_hint":                {"Le modèle a une colonne par information, des listes de choix, et une feuille « Mode d'emploi ». Votre registre peut garder ses colonnes si leurs en-têtes sont ceux du modèle, en français ou en anglais ; un titre au-dessus de l'en-tête ne gêne pas.", "The model has a column for each piece of information, drop-down lists, and a \"How to fill in\" sheet. Your register can keep its columns if their headers are the model's, in French or English; a title above the header is fine."},
	"import_model_xlsx":                {"Télécharger le modèle Excel (.xlsx)", "Download the Excel model (.xlsx)"},
	"import_model_csv":                 {"ou le modèle CSV", "or the CSV model"},
	"import_model_file":                {"modele-registre-wellcheck", "wellcheck-register-model"},
	"import_columns_title":             {"Les colonnes", "The columns"},
	"import_columns":                   {"Obligatoires : %s, et le planning : %s (par exemple « du lundi au vendredi », « 10 h 30 »).", "Required: %s, and the plan: %s (for example \"Monday to Friday\", \"10:30\")."},
	"import_optional":                  {"Facultatives : %s.", "Optional: %s."},
	"import_sending":                   {"Envoi du fichier…", "Sending the file…"},
	"import_checking":                  {"Fichier reçu : vérification de chaque ligne…", "File received: checking every line…"},
	"quoted":                           {"« %s »", "“%s”"},
	"import_check":                     {"Vérifier", "Check"},
	"import_report":                    {"Vérification de %s", "Check of %s"},
	"import_invalid":                   {"Lignes à corriger", "Lines to correct"},
	"import_more":                      {"Les %d premières lignes sur %d sont affichées.", "The first %d of %d lines are shown."},
	"import_skip":                      {"Inscrire les personnes valides et écarter {la|les} %d {ligne invalide|lignes invalides}", "Enrol the valid persons and leave out the %d invalid {line|lines}"},
	"import_confirm":                   {"Inscrire %d {personne|personnes}", "Enrol %d {person|persons}"},
	"import_no_file":                   {"Choisissez le fichier du registre (.xlsx ou .csv).", "Choose the register's file (.xlsx or .csv)."},
	"import_too_large":                 {"Fichier trop volumineux (32 Mo au plus).", "File too large (32 MB at most)."},
	"import_refused":                   {"« %s » : %s. Choisissez de nouveau le fichier une fois corrigé.", "“%s”: %s. Choose the file again once corrected."},
	"import_expired":                   {"Ce fichier n'est plus en attente (une heure au plus) : envoyez-le de nouveau.", "This file is no longer waiting (an hour at most): send it again."},
	"line":                             {"Ligne", "Line"},
	"problems":                         {"Problèmes", "Problems"},
	"listeners":                        {"Écoutants", "Listeners"},
	"pool_waiting":                     {"%d {dossier|dossiers} en attente d'un écoutant", "%d {case|cases} waiting for a listener"},
	"listeners_hint":                   {"Les comptes se créent dans l'administration des utilisateurs.", "Accounts are created in the users' administration."},
	"languages_hint":                   {"codes de langue séparés par des virgules : fr, en, ar…", "language codes, comma-separated: fr, en, ar…"},
	"skills_hint":                      {"séparées par des virgules : deuil, addictions, aidants…", "comma-separated: bereavement, addictions, carers…"},
	"shifts_title":                     {"Permanences de la semaine (heure du service)", "Weekly shifts (the service's time)"},
	"shifts_hint":                      {"Les dossiers sont confiés aux écoutants présents et de permanence, selon leur capacité.", "Cases go to listeners present and on shift, within their capacity."},
	"pending_now":                      {"%d {suivi|suivis} en attente", "%d {follow-up|follow-ups} waiting"},
	"done.listener":                    {"Profil enregistré.", "Profile saved."},
	"users":                            {"Utilisateurs", "Users"},
	"name":                             {"Nom", "Name"},
	"roles":                            {"Rôles", "Roles"},
	"role.listener":                    {"écoutant", "listener"},
	"role.coordinator":                 {"coordinateur", "coordinator"},
	"role.admin":                       {"administrateur", "admin"},
	"account_state":                    {"Compte", "Account"},
	"active":                           {"actif", "active"},
	"disabled":                         {"désactivé", "disabled"},
	"active_failed":                    {"actif, %d {mot de passe erroné|mots de passe erronés} dans l'heure", "active, %d wrong {password|passwords} in the last hour"},
	"add_user":                         {"Ajouter un utilisateur", "Add a user"},
	"add_user_hint":                    {"Un mot de passe est créé et affiché une seule fois, à transmettre à la personne.", "A password is made up and shown once, to pass on to the person."},
	"new_password":                     {"Mot de passe de %s, affiché une seule fois, à transmettre à la personne :", "Password of %s, shown once, to pass on to the person:"},
	"disable_account":                  {"Désactiver le compte (ses sessions se ferment)", "Disable the account (its sessions end)"},
	"reset_hint":                       {"Un nouveau mot de passe remplace l'ancien ; les sessions de la personne se ferment et un blocage est levé.", "A new password replaces the old one; the person's sessions end and a lock is lifted."},
	"reset_password":                   {"Nouveau mot de passe", "New password"},
	"done.user":                        {"Compte enregistré.", "Account saved."},
	"audit":                            {"Journal d'audit", "Audit log"},
	"audit_any_action":                 {"toutes les actions", "every action"},
	"who_system":                       {"le système (%s)", "the system (%s)"},
	"who_operator":                     {"un opérateur (ligne de commande)", "an operator (command line)"},
	"system_part.calls":                {"appels", "calls"},
	"system_part.retention":            {"durée de conservation", "retention"},
	"system_part.planner":              {"planification", "planning"},
	"system_part.demo":                 {"démonstration", "demo"},
	"did.person.view":                  {"a consulté la fiche de", "viewed the file of"},
	"did.case.view":                    {"a consulté le dossier de", "viewed the case of"},
	"did.person.enrol":                 {"a inscrit", "enrolled"},
	"did.person.details":               {"a corrigé la fiche de", "corrected the file of"},
	"did.person.plan":                  {"a changé le planning de", "changed the plan of"},
	"did.person.pause":                 {"a mis en pause les appels de", "paused the calls of"},
	"did.person.resume":                {"a repris les appels de", "resumed the calls of"},
	"did.person.withdraw":              {"a enregistré le retrait du consentement de", "recorded the withdrawal of consent of"},
	"did.person.erase":                 {"a effacé sur demande la fiche de", "erased on request the file of"},
	"did.person.purge":                 {"a effacé (durée de conservation écoulée) la fiche de", "erased (retention period over) the file of"},
	"did.case.open":                    {"a ouvert un dossier pour", "opened a case for"},
	"did.case.raise":                   {"a remonté le dossier de", "raised the case of"},
	"did.case.claim":                   {"a pris le dossier de", "took the case of"},
	"did.case.reassign":                {"a confié à un autre écoutant le dossier de", "handed on the case of"},
	"did.case.close":                   {"a clos le dossier de", "closed the case of"},
	"did.follow_up.record":             {"a noté un suivi pour", "recorded a follow-up for"},
	"did.follow_up.schedule":           {"a prévu un rappel pour", "scheduled a call back for"},
	"did.escalation.start":             {"a commencé à appeler les contacts d'urgence de", "started calling the emergency contacts of"},
	"did.escalation.acknowledged":      {"a reçu la confirmation d'un contact d'urgence pour", "had an emergency contact's acknowledgement for"},
	"did.escalation.end":               {"a cessé d'appeler les contacts d'urgence de", "stopped calling the emergency contacts of"},
	"did.data_issue.resolve":           {"a réglé un numéro qui ne fonctionnait pas", "resolved a number that did not work"},
	"did.user.login":                   {"s'est connecté", "signed in"},
	"did.user.login_failed":            {"a échoué à se connecter", "failed to sign in"},
	"did.user.logout_everywhere":       {"s'est déconnecté de tous les appareils", "signed out everywhere"},
	"did.user.presence":                {"a changé sa disponibilité", "changed their presence"},
	"did.user.add":                     {"a créé un compte", "added an account"},
	"did.user.change":                  {"a modifié un compte", "changed an account"},
	"did.user.password_reset":          {"a réinitialisé un mot de passe", "reset a password"},
	"did.settings.hours":               {"a changé les heures d'ouverture", "changed the opening hours"},
	"did.settings.service":             {"a changé les réglages du service", "changed the service's settings"},
	"did.closure.add":                  {"a ajouté une fermeture", "added a closure"},
	"did.closure.delete":               {"a supprimé une fermeture", "deleted a closure"},
	"did.partner.save":                 {"a enregistré un partenaire", "saved a partner"},
	"did.listener.profile":             {"a modifié le profil d'un écoutant", "changed a listener's profile"},
	"did.test_call.request":            {"a demandé un appel de contrôle", "asked for a test call"},
	"did.export.":                      {"a exporté des chiffres du tableau de bord", "exported dashboard figures"},
	"did.api_token.create":             {"a créé un jeton d'API", "created an API token"},
	"did.api_token.revoke":             {"a révoqué un jeton d'API", "revoked an API token"},
	"erased_person":                    {"une personne effacée (n° %d)", "an erased person (#%d)"},
	"detail.assignee_id":               {"écoutant", "listener"},
	"detail.user_id":                   {"compte", "account"},
	"detail.check_in_id":               {"appel planifié n°", "check-in #"},
	"detail.follow_up_id":              {"suivi n°", "follow-up #"},
	"detail.escalation_id":             {"escalade n°", "escalation #"},
	"detail.partner_id":                {"partenaire n°", "partner #"},
	"detail.closure_id":                {"fermeture n°", "closure #"},
	"detail.data_issue_id":             {"signalement n°", "issue #"},
	"detail.test_call_id":              {"appel de contrôle n°", "test call #"},
	"detail.token_id":                  {"jeton n°", "token #"},
	"detail.call_id":                   {"appel n°", "call #"},
	"detail.call_outcome":              {"issue", "outcome"},
	"detail.direction":                 {"sens", "direction"},
	"detail.duration_s":                {"durée (s)", "duration (s)"},
	"detail.hung_up_by":                {"raccroché par", "hung up by"},
	"hung_up.listener":                 {"l'écoutant", "the listener"},
	"hung_up.person":                   {"la personne", "the person"},
	"detail.priority":                  {"priorité", "priority"},
	"detail.reason":                    {"motif", "reason"},
	"detail.reached":                   {"jointe", "reached"},
	"detail.emergency_services_called": {"secours appelés", "emergency services called"},
	"detail.person_agreed":             {"accord de la personne", "person agreed"},
	"detail.due_at":                    {"pour le", "due"},
	"detail.disabled":                  {"désactivé", "disabled"},
	"detail.roles":                     {"rôles", "roles"},
	"detail.present":                   {"disponible", "present"},
	"detail.outcome":                   {"issue", "outcome"},
	"detail.position":                  {"contact n°", "contact #"},
	"detail.relation":                  {"lien", "relation"},
	"detail.name":                      {"nom", "name"},
	"detail.from":                      {"de", "from"},
	"detail.to":                        {"à", "to"},
	"detail.after_days":                {"après (jours)", "after (days)"},
	"detail.cron":                      {"planning", "plan"},
	"detail.emergency_contacts":        {"contacts d'urgence", "emergency contacts"},
	"detail.referral_source":           {"signalé par", "referred by"},
	"detail.via":                       {"par", "via"},
	"audit_anyone":                     {"tout le monde", "anyone"},
	"audit_hint":                       {"Qui a fait quoi, pour qui, quand ; les plus récents d'abord. Le journal ne contient ni numéro de téléphone ni note.", "Who did what, to whom, when; newest first. The log holds no phone number and no note."},
	"audit_none":                       {"Aucune entrée.", "No entry."},
	"filter":                           {"Filtrer", "Filter"},
	"when":                             {"Quand", "When"},
	"who":                              {"Qui", "Who"},
	"what":                             {"Quoi", "What"},
	"details":                          {"Détails", "Details"},
	"case_no":                          {"dossier n° %d", "case #%d"},
	"older":                            {"Entrées plus anciennes", "Older entries"},
	"closures":                         {"Fermetures exceptionnelles", "Closures"},
	"no_closures":                      {"Aucune fermeture prévue.", "No closure ahead."},
	"reopen":                           {"Supprimer", "Remove"},
	"add_closure":                      {"Ajouter la fermeture", "Add the closure"},
	"closures_hint":                    {"Les jours fériés suivent le calendrier choisi ci-dessous ; les appels prévus un jour fermé passent au jour ouvert suivant, dans la minute.", "Public holidays follow the calendar chosen below; calls due on a closed day move to the next open day, within a minute."},
	"service_settings":                 {"Appels et conservation", "Calls and retention"},
	"keep_audit_hint":                  {"Les entrées plus anciennes du journal d'audit sont supprimées ; celles d'une personne effacée ne disent déjà plus qui elle était.", "Older audit log entries are deleted; those of an erased person already no longer say who they were."},
	"cutoff_hint":                      {"Après cette heure (celle du service), une personne non jointe du jour va sur la liste des écoutants.", "After this time (the service's), a person not reached that day goes on the listeners' list."},
	"voicemail_message":                {"Laisser un court message sur les répondeurs", "Leave a short message on answering machines"},
	"voicemail_message_hint":           {"Après le bip : le service, l'appel régulier, « nous vous rappellerons », et comment le joindre ; jamais le nom de la personne. Sinon l'appel raccroche. Sur un répondeur partagé, le message dit à qui l'écoute que la personne est appelée par le service.", "After the beep: the service, the regular call, \"we will call back\", and how to reach it; never the person's name. Otherwise the call hangs up. On a shared machine, the message tells whoever hears it that the person is called by the service."},
	"needs_consent":                    {"N'appeler un contact d'urgence qu'avec le consentement enregistré de la personne", "Call an emergency contact only with the person's recorded consent"},
	"settings_elsewhere":               {"Le fuseau horaire, la région des numéros, la ligne (trunk) et les messages enregistrés se règlent dans la configuration du serveur.", "The time zone, the numbers' region, the trunk and the recorded prompts are set in the server's configuration."},
	"calendar.FR":                      {"France", "France"},
	"calendar.FR-AM":                   {"Alsace-Moselle", "Alsace-Moselle"},
	"calendar.BE":                      {"Belgique", "Belgium"},
	"calendar.NONE":                    {"aucun jour férié", "no public holidays"},
	"done.service":                     {"Réglages enregistrés : les appels prévus sont replanifiés.", "Settings saved: planned calls are being re-planned."},
	"done.closure":                     {"Fermeture enregistrée : les appels prévus sont replanifiés.", "Closure saved: planned calls are being re-planned."},
	"done.test_call":                   {"Appel de test demandé : le téléphone va sonner ; son résultat s'affiche ci-dessous.", "Test call asked for: the phone will ring; its result shows below."},
	"phone_line":                       {"Ligne téléphonique et messages", "Telephone line and prompts"},
	"line_elsewhere":                   {"La ligne et les messages se règlent dans la configuration du serveur (WELLCHECK_SIP_*, WELLCHECK_PROMPTS_DIR) ; le numéro et le nom présentés, ci-dessus.", "The line and the prompts are set in the server's configuration (WELLCHECK_SIP_*, WELLCHECK_PROMPTS_DIR); the caller number and name, above."},
	"line_none":                        {"Ce serveur n'a pas de ligne téléphonique configurée.", "This server has no telephone line configured."},
	"line.trunk":                       {"Opérateur (trunk)", "Trunk"},
	"line.via":                         {"par le proxy %s", "through proxy %s"},
	"line.auth":                        {"Authentification", "Authentication"},
	"line.limits":                      {"Limites", "Limits"},
	"line.limits_value":                {"%d appels à la fois, %g nouveaux appels par seconde, sur tous les serveurs", "%d calls at once, %g new calls a second, across every server"},
	"line.timeouts":                    {"Durées", "Durations"},
	"line.timeouts_value":              {"sonnerie %g s au plus, appel %g s au plus", "rings %g s at most, call %g s at most"},
	"line.prompts":                     {"Messages enregistrés", "Recorded prompts"},
	"line.shipped":                     {"ceux fournis avec wellcheck", "those shipped with wellcheck"},
	"line.registration":                {"Enregistrement auprès de l'opérateur (ce serveur)", "Registration with the carrier (this server)"},
	"line.keepalive":                   {"Opérateur joignable (ce serveur)", "Trunk reachable (this server)"},
	"line.elsewhere_node":              {"ce serveur ne passe pas d'appels : voir les serveurs qui en passent (rôle worker), leur /readyz et leur /metrics", "this server places no calls: see the servers that do (worker role), their /readyz and /metrics"},
	"line.reg.off":                     {"désactivé (--sip-register off)", "off (--sip-register off)"},
	"line.reg.registering":             {"en cours, sous %s…", "under way, as %s…"},
	"line.reg.registered":              {"enregistré : %s sous %s, depuis %s, valable jusqu'à %s", "registered: %s as %s, since %s, valid until %s"},
	"line.reg.failing":                 {"ÉCHEC depuis %s : %s (essais manqués de suite : %d) ; nouvel essai %s", "FAILING since %s: %s (failed tries in a row: %d); next try %s"},
	"line.reg.no_answer":               {"le registrar ne répond pas", "the registrar does not answer"},
	"line.reg.refused_credentials":     {"refusé par le registrar (SIP %d) : vérifiez l'utilisateur et le mot de passe SIP", "refused by the registrar (SIP %d): check the SIP user and password"},
	"line.reg.refused":                 {"refusé par le registrar (SIP %d)", "refused by the registrar (SIP %d)"},
	"line.reg.stopped":                 {"désenregistré (le serveur s'arrête)", "unregistered (the server is stopping)"},
	"line.ka.off":                      {"non sondé (--sip-keepalive 0)", "not probed (--sip-keepalive 0)"},
	"line.ka.up":                       {"oui : %s répond depuis %s, aller-retour %.1f ms (SIP %d), sondé toutes les %g s", "yes: %s answers since %s, round trip %.1f ms (SIP %d), probed every %g s"},
	"line.ka.down":                     {"NON : %s ne répond plus depuis %s (%d sondages sans réponse) ; les appels de ce serveur attendent qu'il réponde, sans compter contre personne", "NO: %s has not answered since %s (%d probes unanswered); this server's calls wait until it does, counted against nobody"},
	"line.ka.unknown":                  {"pas encore de réponse de %s", "no answer from %s yet"},
	"script.check_in":                  {"Appel de contrôle", "Check-in call"},
	"script.escalation":                {"Appel à un proche (alerte)", "Call to a contact (escalation)"},
	"test_call":                        {"Appel de test", "Test call"},
	"call_now":                         {"Appeler", "Call"},
	"test_call_hint":                   {"Le numéro est appelé tout de suite, à toute heure, par la ligne du service et dans ses limites. Vous entendez les messages et pouvez appuyer sur 1 ou 2 : rien n'est enregistré pour une personne.", "The number is called at once, at any hour, through the service's line and within its limits. You hear the prompts and may press 1 or 2: nothing is recorded for any person."},
	"test_calls_recent":                {"Derniers appels de test", "Latest test calls"},
	"no_test_calls":                    {"Aucun appel de test pour l'instant.", "No test call yet."},
	"by":                               {"Par", "By"},
	"test_call.what":                   {"Message", "Prompts"},
	"test_call.outcome":                {"Issue", "Outcome"},
	"test_call.digits":                 {"Touches", "Keys"},
	"test_call.durations":              {"Sonnerie, conversation", "Ringing, talk"},
	"test_call.waiting":                {"en attente d'une ligne libre", "waiting for a free line"},
	"test_call.calling":                {"appel en cours", "calling"},
	"test_call_times":                  {"%.1f s, %.1f s", "%.1f s, %.1f s"},
	"test_call.quality":                {"Son", "Audio"},
	"quality.mos":                      {"MOS %.1f", "MOS %.1f"},
	"quality.loss":                     {"perte %s", "loss %s"},
	"quality.loss_received":            {"%.1f %% reçue", "%.1f %% received"},
	"quality.loss_sent":                {"%.1f %% envoyée", "%.1f %% sent"},
	"quality.jitter":                   {"gigue %.0f ms", "jitter %.0f ms"},
	"quality.rtt":                      {"aller-retour %.0f ms", "round trip %.0f ms"},
	"done.closure_deleted":             {"Fermeture supprimée : les appels prévus sont replanifiés.", "Closure removed: planned calls are being re-planned."},
	"not_emergency":                    {"wellcheck n'est pas un service d'urgence. En cas d'urgence : 112, 15 (SAMU), 17 (police), 18 (pompiers), 114 (par SMS).", "wellcheck is not an emergency service. In an emergency: 112, 15 (SAMU), 17 (police), 18 (fire brigade), 114 (by SMS)."},
	"sign_in":                          {"Connexion", "Sign in"},
	"email":                            {"Adresse e-mail", "E-mail address"},
	"password":                         {"Mot de passe", "Password"},
	"signin_refused":                   {"Adresse e-mail ou mot de passe incorrect, ou trop d'essais : vérifiez-les et réessayez dans un moment.", "Wrong e-mail address or password, or too many attempts: check them and try again in a moment."},
	"too_many_attempts":                {"Trop d'essais de code : réessayez dans quelques minutes, en recommençant par le mot de passe.", "Too many wrong codes: try again in a few minutes, starting with the password."},
	"signin_busy":                      {"Trop de connexions en même temps : réessayez dans quelques secondes.", "Too many people are signing in at once: try again in a few seconds."},
	"logout":                           {"Se déconnecter", "Sign out"},
	"logout_everywhere":                {"Se déconnecter de tous les appareils", "Sign out on every device"},
	"forbidden":                        {"Requête refusée : rechargez la page et recommencez.", "Request refused: reload the page and try again."},
	"signed_out":                       {"Session expirée : reconnectez-vous.", "Session expired: sign in again."},
	"internal":                         {"Une erreur interne est survenue.", "An internal error occurred."},
	"essentials":                       {"L'essentiel", "Essentials"},
	"language":                         {"Langue", "Language"},
	"referral":                         {"Signalement", "Referral"},
	"contacts":                         {"Contacts d'urgence", "Emergency contacts"},
	"claim":                            {"Prendre ce dossier", "Take this case"},
	"record":                           {"Noter cet appel", "Record this call"},
	"reached_q":                        {"La personne a-t-elle été jointe ?", "Was the person reached?"},
	"yes":                              {"Oui", "Yes"},
	"no":                               {"Non", "No"},
	"note":                             {"Note", "Note"},
	"emergency_called":                 {"Les secours ont été appelés", "Emergency services were called"},
	"next":                             {"Prochain suivi (heure de la personne)", "Next follow-up (the person's time)"},
	"person_agreed":                    {"La personne est d'accord", "The person agrees"},
	"save":                             {"Enregistrer", "Save"},
	"history":                          {"Historique", "History"},
	"not_found":                        {"Dossier introuvable.", "Case not found."},
	"closure.resolved":                 {"résolu", "resolved"},
	"closure.oriented":                 {"orienté vers un partenaire", "oriented to a partner"},
	"closure.declined_help":            {"ne souhaite plus de suivi", "wants no more follow-up"},
	"closure.hospitalised":             {"hospitalisé", "hospitalised"},
	"closure.moved":                    {"a déménagé", "moved away"},
	"closure.deceased":                 {"décédé", "deceased"},
	"closure.other":                    {"autre", "other"},
	"my_list":                          {"Ma liste", "My list"},
	"list_caption":                     {"Suivis à faire, les plus pressants d'abord", "Follow-ups to do, most pressing first"},
	"list_empty":                       {"Aucun suivi en attente.", "No follow-up waiting."},
	"list_updated":                     {"Liste mise à jour", "List updated"},
	"list_updated_with":                {"Liste mise à jour : %s", "List updated: %s"},
	"list_added_one":                   {"1 nouveau suivi", "1 new follow-up"},
	"list_added":                       {"%d nouveaux suivis", "%d new follow-ups"},
	"list_removed_one":                 {"1 suivi retiré", "1 follow-up gone"},
	"list_removed":                     {"%d suivis retirés", "%d follow-ups gone"},
	"overdue":                          {"en retard", "overdue"},
	"priority":                         {"Priorité", "Priority"},
	"why":                              {"Motif", "Why"},
	"person":                           {"Personne", "Person"},
	"phone":                            {"Téléphone", "Phone"},
	"their_time":                       {"Son heure", "Their time"},
	"due":                              {"À faire avant", "Due"},
	"pool":                             {"pool partagé", "shared pool"},
	"priority.urgent":                  {"urgente", "urgent"},
	"priority.high":                    {"haute", "high"},
	"priority.normal":                  {"normale", "normal"},
	"priority.low":                     {"basse", "low"},
	"reason.flagged":                   {"a demandé un rappel (touche 2)", "asked for a call back (pressed 2)"},
	"reason.unreached":                 {"injoignable aujourd'hui", "not reached today"},
	"reason.unreached_repeatedly":      {"injoignable plusieurs fois de suite", "not reached several times in a row"},
	"reason.system_error":              {"nos appels ont échoué", "our calls failed"},
	"reason.missed":                    {"appel non passé (panne)", "call not placed (outage)"},
	"reason.callback":                  {"rappel prévu", "scheduled call back"},
	"reason.referral":                  {"signalement avec inquiétude", "referral with a concern"},
	"reason.manual":                    {"dossier ouvert par un coordinateur", "case opened by a coordinator"},
	"reason.called":                    {"a appelé le service", "called the service"},
	"reason.escalation":                {"escalade : contacts d'urgence appelés", "escalation: emergency contacts called"},
	"escalations":                      {"Escalade : appels aux contacts d'urgence", "Escalation: calls to the emergency contacts"},
	"esc_line.running":                 {"Escalade en cours : appel des contacts d'urgence — %s", "Escalation under way: calling the emergency contacts — %s"},
	"esc_line.acknowledged":            {"Escalade : %s ira voir — %s", "Escalation: %s will go and check — %s"},
	"esc_line.nobody":                  {"Escalade : aucun contact n'a pu vérifier — %s", "Escalation: no contact could check — %s"},
	"esc_line.no_contacts":             {"Escalade : aucun contact d'urgence à appeler — %s", "Escalation: no emergency contact to call — %s"},
	"esc_line.cancelled":               {"Escalade arrêtée : la personne a été jointe, ou le dossier clôturé — %s", "Escalation stopped: the person was reached, or the case closed — %s"},
	"esc_started":                      {"commencée %s", "started %s"},
	"esc_no_calls":                     {"Aucun contact appelé.", "No contact called."},
	"esc_call.ok":                      {"ira voir (touche 1)", "will go and check (pressed 1)"},
	"esc_call.help_requested":          {"ne peut pas y aller (touche 2)", "cannot go (pressed 2)"},
	"a_contact":                        {"un contact", "a contact"},
	"contact_no":                       {"contact n° %d", "contact #%d"},
	"case_closed":                      {"Dossier clôturé", "Case closed"},
	"calls_title":                      {"Appels", "Calls"},
	"calls_caption":                    {"Appels passés et reçus depuis ce dossier, les plus récents d'abord (heure de la personne)", "Calls made and taken from this case, newest first (the person's time)"},
	"call_when":                        {"Quand", "When"},
	"call_direction":                   {"Sens", "Direction"},
	"call_who":                         {"Écoutant", "Listener"},
	"call_length":                      {"Durée", "Duration"},
	"call_dir.out":                     {"appel sortant", "outgoing"},
	"call_dir.in":                      {"appel reçu", "incoming"},
	"call_result.in_progress":          {"en cours", "in progress"},
	"call_result.cut_off":              {"coupé (échec technique)", "cut off (technical failure)"},
	"call_result.answered":             {"a abouti", "answered"},
	"call_result.no_answer":            {"pas de réponse", "not answered"},
	"call_result.busy":                 {"occupé", "busy"},
	"call_result.declined":             {"refusé", "declined"},
	"call_result.invalid_number":       {"numéro invalide", "invalid number"},
	"call_result.failed":               {"échec technique", "technical failure"},
	"reached_by_call":                  {"Coché d'après votre appel de %s, qui a abouti.", "Ticked from your call at %s, which was answered."},
	"did.call.start":                   {"a commencé un appel dans le dossier de", "started a call in the case of"},
	"did.call.end":                     {"a terminé un appel dans le dossier de", "ended a call in the case of"},
	"did.person.called_in":             {"a reçu, au menu d'accueil, la réponse de", "took, at the service's voice menu, the answer of"},
	"closed_on":                        {"Clôturé le", "Closed on"},
	"closed_why":                       {"Motif", "Reason"},
	"person_agreement":                 {"Accord de la personne", "The person's agreement"},
	"agreed.true":                      {"oui", "yes"},
	"agreed.false":                     {"non", "no"},
	"agreed.unknown":                   {"non renseigné", "not recorded"},
	"closed_hint":                      {"Ce dossier ne se modifie plus. Un nouvel appel manqué ou une nouvelle demande d'aide en ouvrira un autre.", "This case no longer changes. A new missed call or request for help will open another."},
	"closed_event":                     {"dossier clôturé par %s : %s (accord de la personne : %s)", "case closed by %s: %s (the person agreed: %s)"},
	"done.case_closed":                 {"Clôture enregistrée.", "Closure saved."},
	"skip":                             {"Aller au contenu", "Skip to content"},
	"menu":                             {"Menu", "Menu"},
	"enrol":                            {"Inscrire une personne", "Enrol a person"},
	"persons":                          {"Personnes", "Persons"},
	"partners":                         {"Partenaires", "Partners"},
	"present":                          {"Disponible", "Available"},
	"away":                             {"Absent(e)", "Away"},
	"go_away":                          {"Passer absent(e)", "Go away"},
	"go_present":                       {"Passer disponible", "Become available"},
	"not_allowed":                      {"Cette page est réservée à un autre rôle.", "This page is for another role."},
	"not_found_page":                   {"Page introuvable.", "Page not found."},
	"person_not_found":                 {"Personne introuvable.", "Person not found."},
	"fix_these":                        {"Rien n'a été enregistré. À corriger :", "Nothing was saved. To fix:"},
	"preview_head":                     {"%d {appel|appels} dans les %d prochains jours (heure de la personne, %s)", "%d {call|calls} in the next %d days (the person's time, %s)"},
	"preview":                          {"Aperçu des prochains appels", "Preview of the next calls"},
	"show_preview":                     {"Voir l'aperçu", "Show the preview"},
	"preview_needs_plan":               {"Choisissez des jours et une heure pour voir les prochains appels.", "Choose days and a time to see the next calls."},
	"who_refers":                       {"Qui signale", "Who refers"},
	"the_person":                       {"La personne", "The person"},
	"consent_title":                    {"Consentement", "Consent"},
	"plan_title":                       {"Quand l'appeler", "When to call"},
	"plan_days":                        {"Jours", "Days"},
	"plan_time":                        {"Heure de l'appel", "Time of the call"},
	"plan_expert":                      {"Pour les experts : planning au format cron (remplace jours et heure)", "For experts: plan as a cron spec (replaces days and time)"},
	"plan_window_hint":                 {"HH:MM-HH:MM ; vide : heures d'ouverture du service", "HH:MM-HH:MM; empty: the service's opening hours"},
	"contact_n":                        {"Contact d'urgence %d", "Emergency contact %d"},
	"contact_consent":                  {"La personne accepte que ce contact soit appelé", "The person agrees this contact may be called"},
	"no_referent":                      {"aucun (pool partagé)", "none (shared pool)"},
	"do_enrol":                         {"Inscrire", "Enrol"},
	"search":                           {"Rechercher", "Search"},
	"search_hint":                      {"Nom ou numéro de téléphone", "Name or phone number"},
	"no_hits":                          {"Aucune personne trouvée.", "Nobody found."},
	"status":                           {"Statut", "Status"},
	"status.active":                    {"appelée", "being called"},
	"status.paused":                    {"en pause", "paused"},
	"status.withdrawn":                 {"consentement retiré", "consent withdrawn"},
	"state.planned":                    {"prévu", "planned"},
	"state.dialing":                    {"appel en cours", "calling"},
	"state.confirmed":                  {"va bien (touche 1)", "all well (pressed 1)"},
	"state.flagged":                    {"demande un rappel (touche 2)", "asked for a call back (pressed 2)"},
	"state.unreached":                  {"injoignable", "not reached"},
	"state.undeliverable":              {"numéro invalide", "number does not work"},
	"state.cancelled":                  {"annulé", "cancelled"},
	"state.system_error":               {"échec de nos appels", "our calls failed"},
	"source.family":                    {"famille", "family"},
	"source.doctor":                    {"médecin", "doctor"},
	"source.social_services":           {"services sociaux", "social services"},
	"source.landlord":                  {"bailleur", "landlord"},
	"source.town_hall":                 {"mairie", "town hall"},
	"source.self":                      {"la personne elle-même", "the person themself"},
	"source.other":                     {"autre", "other"},
	"giver.person":                     {"la personne", "the person"},
	"giver.legal_representative":       {"son représentant légal", "their legal representative"},
	"method.phone":                     {"par téléphone", "by phone"},
	"method.paper":                     {"sur papier", "on paper"},
	"method.in_person":                 {"en personne", "in person"},
	"risk.low":                         {"faible", "low"},
	"risk.normal":                      {"normal", "normal"},
	"risk.high":                        {"élevé", "high"},
	"queue":                            {"À traiter", "To deal with"},
	"queue_escalations":                {"Injoignables malgré l'appel des contacts d'urgence", "Still unreached after their emergency contacts were called"},
	"queue_issues":                     {"Numéros qui ne fonctionnent pas", "Numbers that do not work"},
	"queue_none":                       {"Rien en attente.", "Nothing waiting."},
	"since":                            {"Depuis", "Since"},
	"actions":                          {"Actions", "Actions"},
	"resolve":                          {"Marquer comme réglé", "Mark as dealt with"},
	"issue_seen":                       {"%d appels en échec", "%d failed calls"},
	"issue_seen_once":                  {"1 appel en échec", "1 failed call"},
	"issue.invalid_number":             {"le réseau répond que ce numéro n'existe pas", "the network says this number does not exist"},
	"issue.other":                      {"ce numéro ne fonctionne pas", "this number does not work"},
	"escalation.nobody":                {"aucun contact n'a pu vérifier", "no contact could check"},
	"escalation.no_contacts":           {"aucun contact d'urgence joignable", "no emergency contact to call"},
	"done.resolved":                    {"Marqué comme réglé.", "Marked as dealt with."},
	"settings":                         {"Réglages du service", "Service settings"},
	"opening_hours":                    {"Heures d'ouverture", "Opening hours"},
	"day":                              {"Jour", "Day"},
	"open":                             {"Ouvert", "Open"},
	"opens":                            {"Ouverture", "Opens"},
	"closes":                           {"Fermeture", "Closes"},
	"hours_hint":                       {"Aucun appel hors de ces heures ; les appels prévus un jour fermé passent au jour ouvert suivant. Les appels déjà planifiés suivent dans la minute.", "No call outside these hours; calls due on a closed day move to the next open day. Calls already planned follow within a minute."},
	"done.hours":                       {"Heures d'ouverture enregistrées : les appels prévus sont replanifiés.", "Opening hours saved: planned calls are being re-planned."},
	"planned_calls":                    {"Appels déjà planifiés", "Calls already planned"},
	"upcoming":                         {"Prochains appels", "Next calls"},
	"past":                             {"Derniers appels", "Last calls"},
	"open_case":                        {"Dossier ouvert", "Open case"},
	"plan_change":                      {"Modifier le planning", "Change the plan"},
	"pause":                            {"Mettre en pause jusqu'au", "Pause until"},
	"do_pause":                         {"Mettre en pause", "Pause"},
	"paused_until":                     {"En pause jusqu'au %s", "Paused until %s"},
	"do_resume":                        {"Reprendre les appels", "Resume calls"},
	"withdraw":                         {"Retrait du consentement", "Consent withdrawn"},
	"withdraw_confirm":                 {"La personne retire son consentement : plus aucun appel, dès maintenant", "The person withdraws their consent: no more calls, from now on"},
	"do_withdraw":                      {"Enregistrer le retrait", "Record the withdrawal"},
	"erase":                            {"Effacement sur demande", "Erasure on request"},
	"erase_confirm":                    {"La personne demande l'effacement de ses données : tout son dossier sera supprimé définitivement", "The person asks for their data to be erased: their whole file will be deleted for good"},
	"do_erase":                         {"Effacer définitivement", "Erase for good"},
	"done.enrolled":                    {"Inscription enregistrée : les appels sont planifiés.", "Enrolled: the calls are planned."},
	"done.details":                     {"Coordonnées enregistrées : le prochain appel compose le numéro corrigé.", "Details saved: the next call dials the corrected number."},
	"details_change":                   {"Corriger l'identité, le numéro, les proches ou ce qu'il faut savoir", "Correct the identity, the number, the contacts or what to know"},
	"before_call":                      {"À savoir avant d'appeler", "Before you call"},
	"notes_hint":                       {"Ce que l'écoutant lit en haut du dossier avant d'appeler (ex. : malentendante, parler lentement et fort). Jamais écrit dans les journaux.", "What the listener reads at the top of the file before calling (e.g. hard of hearing, speak slowly and loudly). Never written to the logs."},
	"add_contact":                      {"ajouter un contact", "add a contact"},
	"details_hint":                     {"Un numéro corrigé règle les signalements de numéro qui ne marche pas ; l'historique garde les appels déjà passés.", "A corrected number settles the reports of a number that does not work; the history keeps the calls already made."},
	"zone_hint":                        {"Le planning se lit dans ce fuseau horaire : changez-le si la personne a déménagé outre-mer.", "The plan is read in this time zone: change it if the person moved overseas."},
	"done.plan":                        {"Planning modifié : les appels sont replanifiés.", "Plan changed: the calls are planned again."},
	"done.pause":                       {"Pause enregistrée.", "Pause recorded."},
	"done.resume":                      {"Les appels reprennent.", "Calls resume."},
	"done.withdraw":                    {"Consentement retiré : plus aucun appel.", "Consent withdrawn: no more calls."},
	"done.erased":                      {"Les données de la personne ont été effacées.", "The person's data has been erased."},
	"done.partner":                     {"Partenaire enregistré.", "Partner saved."},
	"areas_hint":                       {"codes postaux, départements ou communes, séparés par des virgules ; vide : tout le territoire", "postcodes, départements or communes, comma-separated; empty: everywhere"},
	"add_partner":                      {"Ajouter un partenaire", "Add a partner"},
	"edit":                             {"Modifier", "Edit"},
	"archived":                         {"archivé", "archived"},
	"partners_near":                    {"Partenaires proches de la personne", "Partners near the person"},
	"oriented_to":                      {"Orientée vers", "Oriented to"},
	"no_partner":                       {"aucun", "none"},
	"reassign":                         {"Confier le dossier à", "Hand the case to"},
	"do_reassign":                      {"Confier", "Hand over"},
	"load":                             {"%d {suivi|suivis} en attente sur %d", "%d {follow-up|follow-ups} waiting of %d"},
	"assigned_to":                      {"Suivi par", "Followed by"},
	"attempt":                          {"essai %d : %s", "attempt %d: %s"},
	"followup_done":                    {"suivi par %s : %s", "follow-up by %s: %s"},
	"followup_due":                     {"suivi prévu (%s)", "follow-up due (%s)"},
	"emergency_was_called":             {"secours appelés", "emergency services called"},
	"timeline":                         {"Chronologie", "Timeline"},
	"outcome.ok":                       {"touche 1", "pressed 1"},
	"outcome.help_requested":           {"touche 2", "pressed 2"},
	"outcome.no_response":              {"décroché sans réponse", "answered, no key"},
	"outcome.voicemail":                {"messagerie", "voicemail"},
	"outcome.no_answer":                {"pas de réponse", "no answer"},
	"outcome.busy":                     {"occupé", "busy"},
	"outcome.declined":                 {"refusé", "declined"},
	"outcome.invalid_number":           {"numéro invalide", "invalid number"},
	"outcome.failed":                   {"échec technique", "technical failure"},
	"reached.true":                     {"personne jointe", "person reached"},
	"reached.false":                    {"personne non jointe", "person not reached"},
	"outcome.":                         {"en cours", "in progress"},
	"api_unauthorized":                 {"Jeton d'API manquant, inconnu ou révoqué : envoyez l'en-tête « Authorization: Bearer <jeton> ».", "Missing, unknown or revoked API token: send the header \"Authorization: Bearer <token>\"."},
	"api_rate_limited":                 {"Trop de requêtes pour ce jeton : attendez le délai que dit l'en-tête Retry-After.", "Too many requests for this token: wait as long as the Retry-After header says."},
	"api_not_allowed":                  {"Le rôle de ce compte ne permet pas cette action.", "This account's role does not allow this."},
	"api_no_route":                     {"Cette adresse n'existe pas dans l'API (voir /api/v1/openapi.json).", "No such address in the API (see /api/v1/openapi.json)."},
	"api_method":                       {"Méthode non acceptée à cette adresse ; acceptées : %s.", "Method not allowed at this address; allowed: %s."},
	"demo_banner":                      {"Démonstration : les personnes sont fictives, les appels vont à un simulateur ; ouvert à toute heure, rappels après une minute.", "Demo: the persons are fictitious, the calls go to a simulator; open at all hours, retries after a minute."},
	"lang_unknown":                     {"Langue inconnue : fr ou en.", "Unknown language: fr or en."},
	"other_lang":                       {"English", "Français"},
	"why_now":                          {"Pourquoi l'appeler", "Why call now"},
	"why.flagged":                      {"a appuyé sur 2 à %s : demande un rappel", "pressed 2 at %s: asked for a call back"},
	"why.unreached":                    {"injoignable à l'appel de %s (%d {essai|essais})", "not reached at the %s call (%d {try|tries})"},
	"why.unreached_repeatedly":         {"injoignable %d fois de suite, la dernière à %s", "not reached %d times in a row, the last at %s"},
	"why.callback":                     {"rappel prévu à %s", "call back planned at %s"},
	"why.referral":                     {"signalement avec inquiétude : %s", "referral with a concern: %s"},
	"call_person":                      {"Appeler", "Call"},
	"no_contacts_case":                 {"Aucun contact d'urgence.", "No emergency contact."},
	"esc_calls":                        {"%d {appel|appels} aux contacts", "%d {call|calls} to the contacts"},
	"next_step":                        {"Ensuite", "Next step"},
	"then.call_again":                  {"Rappeler le… à…", "Call again on… at…"},
	"next_hint":                        {"Hors des heures d'ouverture, le rappel passe à la prochaine ouverture.", "Outside opening hours, the call moves to the next opening."},
	"then.close":                       {"Clore le dossier", "Close the case"},
	"done.follow_up":                   {"Suivi enregistré.", "Follow-up saved."},
	"lang.fr":                          {"français", "French"},
	"lang.en":                          {"anglais", "English"},
	"lang.ar":                          {"arabe", "Arabic"},
	"lang.es":                          {"espagnol", "Spanish"},
	"lang.pt":                          {"portugais", "Portuguese"},
	"lang.it":                          {"italien", "Italian"},
	"lang.de":                          {"allemand", "German"},
	"lang.tr":                          {"turc", "Turkish"},
	"lang.ru":                          {"russe", "Russian"},
	"lang.zh":                          {"chinois", "Chinese"},
	"lang.pl":                          {"polonais", "Polish"},
	"lang.ro":                          {"roumain", "Romanian"},
	"account":                          {"Mon compte", "My account"},
	"interface_lang":                   {"Langue de l'interface", "Interface language"},
	"lang_now":                         {"L'interface est en français.", "The interface is in English."},
	"lang_choose":                      {"Passer en anglais (English)", "Switch to French (Français)"},
	"sessions":                         {"Mes sessions", "My sessions"},
	"mfa.title":                        {"Double authentification", "Two-step verification"},
	"mfa.verify_title":                 {"Vérification en deux étapes", "Two-step verification"},
	"mfa.enrol_title":                  {"Activer la double authentification", "Turn on two-step verification"},
	"mfa.codes_title":                  {"Vos codes de secours", "Your recovery codes"},
	"mfa.verify_hint":                  {"Tapez le code à 6 chiffres affiché par votre application d'authentification. Sans votre téléphone, tapez l'un de vos codes de secours.", "Type the 6-digit code your authenticator app shows. Without your phone, type one of your recovery codes."},
	"mfa.code_label":                   {"Code à 6 chiffres ou code de secours", "6-digit code or recovery code"},
	"mfa.code_hint":                    {"Le code change toutes les 30 secondes ; un code de secours ne sert qu'une fois.", "The code changes every 30 seconds; a recovery code works once."},
	"mfa.code_label_enrol":             {"Code à 6 chiffres affiché par l'application", "6-digit code the app shows"},
	"mfa.code_hint_enrol":              {"Il prouve que l'application est prête : la double authentification n'est activée qu'avec lui.", "It proves the app is ready: two-step verification is on only once it is typed."},
	"mfa.verify":                       {"Vérifier", "Verify"},
	"mfa.confirm":                      {"Activer", "Turn on"},
	"mfa.back_to_login":                {"Revenir à la connexion", "Back to signing in"},
	"mfa.cancel":                       {"Annuler", "Cancel"},
	"mfa.required_now":                 {"Votre rôle demande une double authentification : activez-la pour continuer. Elle protège les dossiers des personnes si votre mot de passe venait à être connu.", "Your role requires two-step verification: turn it on to go on. It protects the persons' files should your password become known."},
	"mfa.step_app":                     {"Sur votre téléphone, ouvrez une application d'authentification (FreeOTP, Aegis, Google Authenticator, Microsoft Authenticator…).", "On your phone, open an authenticator app (FreeOTP, Aegis, Google Authenticator, Microsoft Authenticator…)."},
	"mfa.step_scan":                    {"Ajoutez un compte en scannant ce code QR :", "Add an account by scanning this QR code:"},
	"mfa.qr_alt":                       {"Code QR à scanner avec l'application d'authentification", "QR code to scan with the authenticator app"},
	"mfa.step_type":                    {"ou, sans appareil photo, tapez cette clé dans l'application :", "or, without a camera, type this key into the app:"},
	"mfa.step_code":                    {"Tapez ci-dessous le code que l'application affiche.", "Type the code the app shows below."},
	"mfa.codes_hint":                   {"Chacun de ces codes remplace une fois le code de l'application, si vous perdez votre téléphone. Notez-les ou imprimez-les et gardez-les en lieu sûr : ils ne seront plus affichés.", "Each of these codes stands in once for the app's code, should you lose your phone. Write them down or print them and keep them safe: they will not be shown again."},
	"mfa.codes_noted":                  {"J'ai noté mes codes, continuer", "I have noted my codes, go on"},
	"mfa.on":                           {"Activée : à chaque connexion, un code de votre application d'authentification est demandé après le mot de passe.", "On: at each sign-in, a code from your authenticator app is asked after the password."},
	"mfa.codes_left":                   {"%d {code de secours reste|codes de secours restent} inutilisé{|s}.", "%d recovery {code remains|codes remain} unused."},
	"mfa.off":                          {"Désactivée : seul le mot de passe est demandé. Une application d'authentification sur votre téléphone protège mieux votre compte.", "Off: only the password is asked. An authenticator app on your phone protects your account better."},
	"mfa.off_required":                 {"Désactivée, et votre rôle la demande : activez-la maintenant (elle vous sera demandée à la prochaine connexion).", "Off, and your role requires it: turn it on now (you will be asked at the next sign-in)."},
	"mfa.turn_on":                      {"Activer la double authentification", "Turn on two-step verification"},
	"mfa.code_for_codes":               {"Pour de nouveaux codes de secours (les anciens ne serviront plus), le code actuel de l'application :", "For new recovery codes (the old ones will no longer work), the app's current code:"},
	"mfa.code_for_off":                 {"Pour désactiver la double authentification, le code actuel de l'application :", "To turn two-step verification off, the app's current code:"},
	"mfa.new_codes":                    {"Nouveaux codes de secours", "New recovery codes"},
	"mfa.turn_off":                     {"Désactiver", "Turn off"},
	"mfa.required_role":                {"Votre rôle demande une double authentification : elle ne peut pas être désactivée. Téléphone perdu : demandez à un administrateur de la réinitialiser.", "Your role requires two-step verification: it cannot be turned off. Phone lost: ask an admin to reset it."},
	"done.recovery_used":               {"Vous vous êtes connecté avec un code de secours, qui ne servira plus. S'il vous en reste peu, créez-en de nouveaux.", "You signed in with a recovery code, which will not work again. If you have few left, make new ones."},
	"done.mfa_off":                     {"Double authentification désactivée.", "Two-step verification turned off."},
	"done.session_ended":               {"Session fermée.", "Session ended."},
	"done.mfa_reset":                   {"Double authentification réinitialisée : les sessions de la personne sont fermées.", "Two-step verification reset: the person's sessions are ended."},
	"done.second_factor":               {"Rôles soumis à la double authentification enregistrés.", "Roles that need two-step verification saved."},
	"sessions_zone":                    {"Heures du service (%s).", "The service's time (%s)."},
	"this_session":                     {"cette session", "this session"},
	"session_times":                    {"Connexion : %s · dernière activité : %s", "Signed in: %s · last active: %s"},
	"session_end":                      {"Fermer cette session", "End this session"},
	"device_on":                        {"%s sur %s", "%s on %s"},
	"device_browser":                   {"Navigateur", "Browser"},
	"device_unknown":                   {"Appareil inconnu", "Unknown device"},
	"mfa.user_on":                      {"Double authentification activée.", "Two-step verification is on."},
	"mfa.user_off":                     {"Pas de double authentification.", "No two-step verification."},
	"mfa.reset_hint":                   {"Pour une personne qui a perdu son téléphone et ses codes de secours : sa double authentification est supprimée et ses sessions se ferment ; elle en met une nouvelle en place à sa prochaine connexion si son rôle la demande.", "For a person who lost their phone and recovery codes: their two-step verification is removed and their sessions end; they turn on a new one at their next sign-in if their role requires it."},
	"mfa.reset":                        {"Réinitialiser la double authentification", "Reset two-step verification"},
	"mfa.roles_title":                  {"Double authentification", "Two-step verification"},
	"mfa.roles_legend":                 {"Rôles qui doivent avoir une double authentification", "Roles that must have two-step verification"},
	"mfa.roles_hint":                   {"Conseillé : tous les rôles, qui voient les dossiers des personnes. Une personne d'un rôle coché sans double authentification la met en place à sa prochaine connexion.", "Advised: every role, as they all see the persons' files. A person of a ticked role without two-step verification turns it on at their next sign-in."},
	"did.mfa.enrol":                    {"a activé sa double authentification", "turned on two-step verification"},
	"did.mfa.recovery_codes":           {"a créé de nouveaux codes de secours", "made new recovery codes"},
	"did.mfa.disable":                  {"a désactivé sa double authentification", "turned off two-step verification"},
	"did.user.mfa_reset":               {"a réinitialisé une double authentification", "reset a two-step verification"},
	"did.session.end":                  {"a fermé une de ses sessions", "ended one of their sessions"},
	"passkey.default_name":             {"Clé d'accès %d", "Passkey %d"},
	"mfa.on_any":                       {"Activée : après le mot de passe, chaque connexion demande une clé d'accès ou un code.", "On: after the password, each sign-in asks for a passkey or a code."},
	"mfa.app_title":                    {"Application d'authentification", "Authenticator app"},
	"mfa.app_off":                      {"Aucune application d'authentification n'est associée à votre compte.", "No authenticator app is linked to your account."},
	"mfa.add_app":                      {"Ajouter une application d'authentification", "Add an authenticator app"},
	"mfa.recovery_title":               {"Codes de secours", "Recovery codes"},
	"mfa.code_for_codes_recovery":      {"Pour de nouveaux codes de secours (les anciens ne serviront plus), l'un de vos codes de secours actuels :", "For new recovery codes (the old ones will no longer work), one of your current recovery codes:"},
	"mfa.required_last":                {"Votre rôle demande une double authentification : c'est votre seule méthode, elle ne peut pas être retirée. Ajoutez-en une autre d'abord ; tout perdu : demandez à un administrateur de la réinitialiser.", "Your role requires two-step verification: this is your only method and cannot be removed. Add another first; everything lost: ask an admin to reset it."},
	"passkey.title":                    {"Clés d'accès", "Passkeys"},
	"passkey.hint":                     {"Une clé d'accès (l'empreinte ou le code de verrouillage de cet appareil, ou une clé de sécurité USB) remplace le code à 6 chiffres après le mot de passe.", "A passkey (this device's fingerprint or screen lock, or a USB security key) stands in for the 6-digit code after the password."},
	"passkey.unavailable":              {"Les clés d'accès ne sont pas disponibles : un administrateur doit d'abord indiquer l'adresse publique du service (réglage --public-url).", "Passkeys are not available: an administrator must first set the service's public address (the --public-url setting)."},
	"passkey.none":                     {"Aucune clé d'accès.", "No passkeys."},
	"passkey.times":                    {"Ajoutée : %s · dernière utilisation : %s", "Added: %s · last used: %s"},
	"passkey.never":                    {"jamais", "never"},
	"passkey.code_for_delete_app":      {"Pour la supprimer, le code actuel de l'application :", "To remove it, the app's current code:"},
	"passkey.code_for_delete_recovery": {"Pour la supprimer, l'un de vos codes de secours :", "To remove it, one of your recovery codes:"},
	"passkey.delete":                   {"Supprimer cette clé", "Remove this passkey"},
	"passkey.name_label":               {"Nom de la nouvelle clé d'accès", "Name of the new passkey"},
	"passkey.name_hint":                {"Pour la reconnaître dans la liste, par exemple « Tablette du bureau ».", "To know it in the list, for example \"Office tablet\"."},
	"passkey.add":                      {"Ajouter une clé d'accès", "Add a passkey"},
	"passkey.use":                      {"Utiliser une clé d'accès", "Use a passkey"},
	"passkey.or_code":                  {"Ou tapez un code :", "Or type a code:"},
	"passkey.working":                  {"Suivez les indications de votre appareil…", "Follow your device's prompts…"},
	"passkey.failed":                   {"La clé d'accès n'a pas été créée : la demande a été annulée ou l'appareil l'a refusée. Réessayez.", "The passkey was not made: the request was cancelled or the device refused it. Try again."},
	"passkey.exists":                   {"Cet appareil détient déjà l'une de vos clés d'accès.", "This device already holds one of your passkeys."},
	"passkey.unsupported":              {"Ce navigateur ne prend pas en charge les clés d'accès : utilisez un code.", "This browser does not support passkeys: use a code."},
	"passkey.network":                  {"Le service n'a pas répondu : réessayez.", "The service did not answer: try again."},
	"mfa.verify_hint_passkey":          {"Utilisez votre clé d'accès. Sans elle, tapez l'un de vos codes de secours.", "Use your passkey. Without it, type one of your recovery codes."},
	"mfa.verify_hint_both":             {"Utilisez votre clé d'accès, ou tapez le code à 6 chiffres de votre application d'authentification. Sans l'une ni l'autre, tapez l'un de vos codes de secours.", "Use your passkey, or type the 6-digit code your authenticator app shows. Without either, type one of your recovery codes."},
	"mfa.verify_hint_recovery":         {"Les clés d'accès ne sont pas proposées sur ce service pour le moment : tapez l'un de vos codes de secours.", "Passkeys are not offered on this service for now: type one of your recovery codes."},
	"mfa.code_label_recovery":          {"Code de secours", "Recovery code"},
	"mfa.code_hint_recovery":           {"Un code de secours ne sert qu'une fois.", "A recovery code works once."},
	"done.app_added":                   {"Application d'authentification ajoutée.", "Authenticator app added."},
	"done.passkey_added":               {"Clé d'accès ajoutée.", "Passkey added."},
	"done.passkey_removed":             {"Clé d'accès supprimée.", "Passkey removed."},
	"did.mfa.passkey_add":              {"a ajouté une clé d'accès", "added a passkey"},
	"did.mfa.passkey_remove":           {"a supprimé une clé d'accès", "removed a passkey"},
	"did.mfa.passkey_counter":          {"a présenté une clé d'accès au compteur revenu en arrière (refusée)", "showed a passkey whose counter went backwards (refused)"},
	"did.settings.second_factor":       {"a choisi les rôles soumis à la double authentification", "chose the roles that need two-step verification"},
	"logout_everywhere_hint":           {"Ferme votre session sur cet appareil et sur tous les autres (un ordinateur partagé, une tablette perdue) : il faudra vous reconnecter partout.", "Ends your session on this device and on every other one (a shared computer, a lost tablet): you will have to sign in again everywhere."},
	"nav.more":                         {"Plus", "More"},
	"nav.admin":                        {"Administration", "Administration"},
	"nav.enrol":                        {"Inscrire", "Enrol"},
	"nav.list":                         {"Liste des suivis", "Follow-up list"},
	"river":                            {"Tâches de fond (River)", "Background jobs (River)"},
	"api_too_large":                    {"Corps de requête trop gros : %d Kio au plus.", "Request body too large: %d KiB at most."},
	"plan_which":                       {"Quels jours ?", "Which days?"},
	"plan_repeat.weekdays":             {"Du lundi au vendredi", "Monday to Friday"},
	"plan_repeat.every_day":            {"Tous les jours", "Every day"},
	"plan_repeat.days":                 {"Certains jours :", "Certain days:"},
	"zone_other":                       {"Autre fuseau horaire…", "Another time zone…"},
	"zone_other_label":                 {"Fuseau horaire (nom IANA, par exemple America/Montreal)", "Time zone (IANA name, for example America/Montreal)"},
	"reason.undeliverable":             {"numéro qui ne fonctionne pas", "number that does not work"},
	"escalation.acknowledged":          {"un contact d'urgence a confirmé", "an emergency contact confirmed"},
	"escalation.cancelled":             {"appels aux contacts arrêtés", "calls to the contacts stopped"},
	"via.web":                          {"l'interface web", "the web interface"},
	"via.api":                          {"l'API", "the API"},
	"via.cli":                          {"la ligne de commande", "the command line"},
	"via.import":                       {"un import de registre", "a register import"},
	"zone_other_hint":                  {"Tapez les premières lettres d'une ville ou d'un continent pour voir les fuseaux. Rempli, il remplace le choix de la liste.", "Type the first letters of a city or a continent to see the zones. Filled in, it replaces the choice in the list."},
	// The browser phone (phone.js reads the "phone." words: phoneWords).
	"phone.bar":                {"Téléphone", "Telephone"},
	"phone.connecting":         {"Connexion du téléphone…", "Connecting the phone…"},
	"phone.ready":              {"Téléphone prêt", "Phone ready"},
	"phone.offline":            {"Téléphone déconnecté : nouvelle tentative dans un instant…", "Phone disconnected: trying again in a moment…"},
	"phone.mic":                {"Ouverture du micro…", "Opening the microphone…"},
	"phone.dialing":            {"Connexion…", "Connecting…"},
	"phone.ringing":            {"Ça sonne…", "Ringing…"},
	"phone.talking":            {"En communication", "On the call"},
	"phone.dialing_name":       {"Appel de %s : connexion…", "Calling %s: connecting…"},
	"phone.ringing_name":       {"Ça sonne chez %s…", "Ringing %s…"},
	"phone.talking_name":       {"En communication avec %s", "On the call with %s"},
	"phone.ended":              {"Appel terminé", "Call ended"},
	"phone.ended_why":          {"Appel terminé : %s", "Call ended: %s"},
	"phone.key":                {"La personne a appuyé sur %s", "The person pressed %s"},
	"phone.ring_name":          {"%s demande à parler à un écoutant", "%s asks to speak to a listener"},
	"phone.incoming_name":      {"Appel entrant de %s", "Incoming call from %s"},
	"phone.incoming_number":    {"Appel entrant du %s (numéro inconnu du service)", "Incoming call from %s (a number the service does not know)"},
	"phone.incoming_withheld":  {"Appel entrant, numéro masqué", "Incoming call, number withheld"},
	"phone.ring_over_incoming": {"L'appel a été pris par un autre écoutant, ou la personne a raccroché ou répondu au menu vocal.", "The call was taken by another listener, or the caller hung up or answered the voice menu."},
	"phone.take":               {"Décrocher", "Pick up"},
	"phone.file_name":          {"Dossier de %s (nouvel onglet)", "%s's file (new tab)"},
	"phone.taking":             {"Connexion…", "Connecting…"},
	"phone.taking_name":        {"Connexion avec %s…", "Connecting you to %s…"},
	"phone.ring_over":          {"L'appel a été pris par un autre écoutant ou la personne sera rappelée.", "The call was taken by another listener, or the person will be called back."},
	"phone.call":               {"Appeler", "Call"},
	"phone.call_name":          {"Appeler %s depuis le navigateur", "Call %s from the browser"},
	"phone.tel":                {"ou composer le numéro sur un téléphone", "or dial it on a phone"},
	"phone.hangup":             {"Raccrocher", "Hang up"},
	"phone.mute":               {"Couper le micro", "Mute"},
	"phone.muted":              {"micro coupé", "microphone off"},
	"phone.keypad":             {"Clavier", "Keypad"},
	"phone.star":               {"étoile", "star"},
	"phone.hash":               {"dièse", "hash"},
	"phone.error.busy":         {"Un appel est déjà en cours sur cette page.", "A call is already going on in this page."},
	"phone.error.forbidden":    {"Vous ne pouvez pas appeler depuis ce dossier.", "You may not call from this case."},
	"phone.error.case_closed":  {"Ce dossier est clôturé : on n'appelle plus depuis lui.", "This case is closed: no more calls from it."},
	"phone.error.bad_offer":    {"Le navigateur n'a pas pu préparer l'audio de l'appel. Rechargez la page et réessayez.", "The browser could not set up the call's audio. Reload the page and try again."},
	"phone.error.no_media":     {"L'audio du navigateur n'a pas pu joindre le serveur (réseau ou pare-feu) : personne n'a été appelé.", "The browser's audio could not reach the server (network or firewall): nobody was called."},
	"phone.error.no_line":      {"Aucune ligne libre pour appeler : réessayez dans un instant.", "No free line to call on: try again in a moment."},
	"phone.error.internal":     {"L'appel a échoué de notre côté. Réessayez ; si cela dure, prévenez un administrateur.", "The call failed on our side. Try again; if it lasts, tell an administrator."},
	"phone.error.mic_denied":   {"Le navigateur refuse le micro : autorisez-le pour ce site (dans la barre d'adresse), puis réessayez.", "The browser refuses the microphone: allow it for this site (in the address bar), then try again."},
	"phone.error.no_mic":       {"Aucun micro trouvé sur cet appareil.", "No microphone found on this device."},
	"phone.error.unsupported":  {"Ce navigateur ne permet pas d'appeler. Utilisez un navigateur récent (Chrome, Firefox, Safari, Edge).", "This browser cannot make calls. Use a recent browser (Chrome, Firefox, Safari, Edge)."},
	"phone.error.signed_out":   {"Votre session est terminée : reconnectez-vous pour appeler. Personne n'a été appelé.", "Your session has ended: sign in again to call. Nobody was called."},
	"phone.error.lost":         {"Téléphone déconnecté du serveur : l'appel est coupé.", "Phone disconnected from the server: the call is cut off."},
}

// phoneWords are the browser phone's words in lang, as JSON for phone.js:
// the "phone." texts, unformatted ("%s" where the script puts a name or a
// key), and how a call ended ("call_result.").
func phoneWords(lang wellcheck.Lang) string {
	words := map[string]string{}
	i := 0
	if lang == wellcheck.English {
		i = 1
	}
	for k, v := range texts {
		if strings.HasPrefix(k, "phone.") || strings.HasPrefix(k, "call_result.") {
			words[k] = v[i]
		}
	}
	b, _ := json.Marshal(words)
	return string(b)
}

// text returns a word of the interface in lang, filled with args (the key
// itself if missing, so a gap shows).
func text(lang wellcheck.Lang, key string, args ...any) string {
	t, ok := texts[key]
	if !ok {
		return key
	}
	s := t[0]
	if lang == wellcheck.English {
		s = t[1]
	}
	return wellcheck.Format(lang, s, args...)
}

// textOr is text for a key the catalogue may not have (a code read from
// the database): fallback when it has none.
func textOr(lang wellcheck.Lang, key, fallback string) string {
	if _, ok := texts[key]; !ok {
		return fallback
	}
	return text(lang, key)
}

// spokenLanguage is a language a person speaks, named in the reader's
// language ("arabe", "Arabic"); else by its own name, else its code.
func spokenLanguage(lang wellcheck.Lang, code string) string {
	return textOr(lang, "lang."+code, languageName(code))
}

// langCookie keeps the language a reader chose (/lang).
const langCookie = "wellcheck_lang"

// langOf is the reader's language: the one they chose, else English if their
// browser puts it before French, else French.
func langOf(r *http.Request) wellcheck.Lang {
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := langNamed(c.Value); ok {
			return l
		}
	}
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

func langNamed(name string) (wellcheck.Lang, bool) {
	switch name {
	case "fr":
		return wellcheck.French, true
	case "en":
		return wellcheck.English, true
	}
	return "", false
}

// chooseLang keeps the language the reader picked (?to=fr|en) for a year,
// and goes back to the page they were on (?next=, a path of this site).
// It changes nothing on the server: a preference of the browser's.
func (s *Server) chooseLang(w http.ResponseWriter, r *http.Request) error {
	lang, ok := langNamed(r.URL.Query().Get("to"))
	if !ok {
		return &refusal{status: http.StatusBadRequest, code: wellcheck.EInvalid, key: "lang_unknown"}
	}
	http.SetCookie(w, s.cookie(r, langCookie, string(lang), 365*24*time.Hour))
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"t":          text,
	"phoneWords": phoneWords,
	// keys are a telephone keypad's, in its order.
	"keys":  func() []string { return []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"} },
	"label": label,
	"field": field,
	"has":   func(u *wellcheck.User, r string) bool { return u != nil && u.Has(wellcheck.Role(r)) },
	// part hands a partial template its page and its own value.
	"part":            func(p page, v any) partial { return partial{p, v} },
	"exportChoices":   exportChoices,
	"roleOptions":     roleOptions,
	"calendarChoices": calendarChoices,
	"hasString":       func(list []string, s string) bool { return slices.Contains(list, s) },
	"form":            form,
	"typed":           typed,
	"ticked":          ticked,
	// at is whether the page at here is path (the link to it is the current page).
	"at": func(here, path string) bool { return strings.SplitN(here, "?", 2)[0] == path },
}

// form is a page as one of its forms, the one that posts to action, sees
// it: with what was typed into it and its problems if it is the form that
// was refused, and without those of another form of the page. Every field of
// a form is drawn with the page form gives (field, typed, ticked), so that a
// refused form comes back as it was sent, whatever its fields.
func form(p page, action string) page {
	if p.Posted != action {
		p.Typed = nil
		if p.Posted != "" {
			p.Problems = nil
		}
	}
	p.Action = action
	return p
}

// typed is the value a field named name holds: as it was sent in the page's
// refused form, else value.
func typed(p page, name, value string) string {
	if v, ok := p.Typed[name]; ok && len(v) > 0 {
		return v[0]
	}
	return value
}

// ticked is whether the box or radio button (name, value) is ticked: as it
// was sent in the page's refused form (a box not sent was not ticked), else
// as checked says.
func ticked(p page, name, value string, checked bool) bool {
	if p.Typed != nil {
		return slices.Contains(p.Typed[name], value)
	}
	return checked
}

// partial is what a partial template (forms.html) sees: the page, and its
// own value.
type partial struct {
	Page page
	V    any
}

// label is a form field's label: the catalogue's name for it, capitalised.
func label(lang wellcheck.Lang, name string) string {
	l := wellcheck.FieldLabel(name, lang)
	r, size := utf8.DecodeRuneInString(l)
	return string(unicode.ToUpper(r)) + l[size:]
}

// input is one form field as the "input" template draws it: its label, its
// value, and the problem with it if any, tied to it for screen readers.
type input struct {
	Name, Label, Value, Type, Problem string
	Required                          bool
	Options                           []option
}

// field builds an input named name (a dotted path, as problems name fields)
// for page p, holding value, or what was typed into it if p's form was
// refused. Type is an <input> type, "textarea", or "select" with options; a
// select whose value is none of its options (a language the list does not
// name, a referent who has left since the form was shown) offers that value
// too, so that neither showing nor sending the form again loses it.
func field(p page, name, value, typ string, required bool, options ...[]option) input {
	value = typed(p, name, value)
	in := input{Name: name, Label: label(p.Lang, name), Value: value, Type: typ, Required: required, Problem: p.Problems[name]}
	if len(options) > 0 {
		in.Options = options[0]
		if value != "" && !slices.ContainsFunc(in.Options, func(o option) bool { return o.Value == value }) {
			in.Options = append(slices.Clip(in.Options), option{value, value})
		}
	}
	return in
}

// problemsOf splits an input's error for a form: each problem beside its field,
// and the whole as one text for the summary at the top.
func problemsOf(err error, lang wellcheck.Lang) (string, map[string]string) {
	byField := map[string]string{}
	var v *wellcheck.ValidationError
	if errors.As(err, &v) {
		for _, p := range v.Problems {
			if p.Field != "" {
				byField[p.Field] = p.Message.Text(lang)
			}
		}
	}
	message := wellcheck.ErrorText(err, lang)
	// A number already enrolled for someone else: the number's field says so.
	var taken *wellcheck.ConflictError
	if errors.As(err, &taken) {
		byField["person.phone"] = message
	}
	return message, byField
}
