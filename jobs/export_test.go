package jobs

// Snooze is what River sees of a stage's "come back after wait", for the
// tests that work the stages' jobs by hand.
var Snooze = snooze
