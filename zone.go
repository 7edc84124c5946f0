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

var placeFolder = strings.NewReplacer("é", "e", "è", "e", "ê", "e", "É", "e", "à", "a", "-", " ", "(", "", ")", "")

// ZoneOfPlace is the time zone of a place as a register writes it
// ("Guadeloupe", "La Réunion", "Polynésie"), in French or English.
func ZoneOfPlace(name string) (string, bool) {
	key := strings.Join(strings.Fields(placeFolder.Replace(strings.ToLower(name))), " ")
	key = strings.TrimPrefix(key, "la ")
	if zone, ok := placeWords[key]; ok {
		return zone, true
	}
	for _, p := range Places {
		for _, n := range []string{p.fr, p.en} {
			n = strings.Join(strings.Fields(placeFolder.Replace(strings.ToLower(n))), " ")
			if key == n || key == strings.TrimPrefix(n, "la ") {
				return p.Zone, true
			}
		}
	}
	return "", false
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
