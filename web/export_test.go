package web

// ServedRoutes are the patterns of every route Routes serves, pages' and
// API's, for the authorisation matrix (authorisation_test.go).
func (s *Server) ServedRoutes() []string { return s.served }

// HashPeak is the most passwords s checked at once since it started.
func (s *Server) HashPeak() int { return int(s.hashing.peak.Load()) }
