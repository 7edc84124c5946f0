package wellcheck

import (
	"strings"
	"time"
)

// Partner is a service listeners orient people to (a social centre, a
// home-help association, a mental-health line), kept by coordinators.
type Partner struct {
	ID   int64
	Name string
	Kind string // the kind of help, in the coordinators' words
	// Areas are the postcodes, départements and communes served, lower case;
	// none means everyone.
	Areas      []string
	Phone      Phone // optional
	Hours      string
	ArchivedAt *time.Time
}

// Departement is the French département of a postcode: its first two digits,
// three overseas (97x, 98x), and 2A/2B for Corsica's 20xxx.
func Departement(postcode string) string {
	p := strings.TrimSpace(postcode)
	switch {
	case len(p) != 5:
		return ""
	case strings.HasPrefix(p, "97") || strings.HasPrefix(p, "98"):
		return p[:3]
	case strings.HasPrefix(p, "20"):
		if p < "20200" {
			return "2a"
		}
		return "2b"
	}
	return p[:2]
}
