package web

// HashPeak is the most passwords s checked at once since it started.
func (s *Server) HashPeak() int { return int(s.hashing.peak.Load()) }
