package wellcheck

import "strings"

// A Place is a time zone as people say it: "La Réunion", not
// Indian/Reunion.
type Place struct {
	Zone   string // IANA name
	fr, en string
}

// Name is the place in lang.
func (p Place) Name(lang Lang) string {
	if lang == English {
		return p.en
	}
	return p.fr
}

// Places are the zones French and Belgian services call in: metropolitan
// France, Belgium and the overseas departments and territories.
var Places = []Place{
	{"Europe/Paris", "France métropolitaine", "Mainland France"},
	{"Europe/Brussels", "Belgique", "Belgium"},
	{"America/Guadeloupe", "Guadeloupe", "Guadeloupe"},
	{"America/Martinique", "Martinique", "Martinique"},
	{"America/Cayenne", "Guyane", "French Guiana"},
	{"Indian/Reunion", "La Réunion", "Réunion"},
	{"Indian/Mayotte", "Mayotte", "Mayotte"},
	{"America/Miquelon", "Saint-Pierre-et-Miquelon", "Saint Pierre and Miquelon"},
	{"America/St_Barthelemy", "Saint-Barthélemy", "Saint Barthélemy"},
	{"America/Marigot", "Saint-Martin", "Saint Martin"},
	{"Pacific/Noumea", "Nouvelle-Calédonie", "New Caledonia"},
	{"Pacific/Tahiti", "Polynésie française (Tahiti)", "French Polynesia (Tahiti)"},
	{"Pacific/Wallis", "Wallis-et-Futuna", "Wallis and Futuna"},
}

// placeWords are other ways registers name a place.
var placeWords = map[string]string{
	"france": "Europe/Paris", "metropole": "Europe/Paris", "paris": "Europe/Paris",
	"reunion": "Indian/Reunion", "polynesie francaise": "Pacific/Tahiti", "polynesie": "Pacific/Tahiti",
	"tahiti": "Pacific/Tahiti", "guyane francaise": "America/Cayenne", "nouvelle caledonie": "Pacific/Noumea",
}

// placeKey is a place's name as ZoneOfPlace compares it: folded, without
// hyphens, brackets or a leading "la".
func placeKey(s string) string {
	s = strings.Join(strings.Fields(placePunct.Replace(Fold(s))), " ")
	return strings.TrimPrefix(s, "la ")
}

var placePunct = strings.NewReplacer("-", " ", "(", "", ")", "")

// placeZones maps every name of every place, and placeWords, to its zone.
var placeZones = func() map[string]string {
	m := map[string]string{}
	for _, p := range Places {
		m[placeKey(p.fr)], m[placeKey(p.en)] = p.Zone, p.Zone
	}
	for w, zone := range placeWords {
		m[placeKey(w)] = zone
	}
	return m
}()

// ZoneOfPlace is the time zone of a place as a register writes it
// ("Guadeloupe", "La Réunion", "Polynésie"), in French or English.
func ZoneOfPlace(name string) (string, bool) {
	zone, ok := placeZones[placeKey(name)]
	return zone, ok
}

// ZoneName is a time zone as people say it: its place, or its IANA name
// when it is not one of Places.
func ZoneName(zone string, lang Lang) string {
	for _, p := range Places {
		if p.Zone == zone {
			return p.Name(lang)
		}
	}
	return zone
}
