package wellcheck

import "strings"

// accents takes the diacritics off the letters French writes with them.
var accents = strings.NewReplacer(
	"à", "a", "â", "a", "ä", "a", "ç", "c", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"î", "i", "ï", "i", "ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u", "ÿ", "y", "œ", "oe", "æ", "ae",
)

// Fold is text as people's words compare: lower case, accents off
// ("Élevé" is "eleve"). Registers, forms and the API write the same word
// with and without them.
func Fold(s string) string { return accents.Replace(strings.ToLower(s)) }
