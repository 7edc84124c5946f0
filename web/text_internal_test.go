package web

// frenchTexts are the interface's French words that English does not share,
// for the English pages' test.
func frenchTexts() []string {
	var out []string
	for _, t := range texts {
		if t[0] != t[1] {
			out = append(out, t[0])
		}
	}
	return out
}

// FrenchTexts is frenchTexts, for the external tests.
var FrenchTexts = frenchTexts
