package metrics_test

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// The alerting rules operators load (deploy/prometheus-alerts.yml) are valid
// and fire, with the words they show, on the series their tests feed them
// (deploy/prometheus-alerts_test.yml), and only then.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	promtool, err := exec.LookPath("promtool")
	require.NoError(t, err, "promtool is needed: run make test-deps")
	for _, args := range [][]string{
		{"check", "rules", "prometheus-alerts.yml"},
		{"test", "rules", "prometheus-alerts_test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "../deploy"
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "promtool %v:\n%s", args, out)
	}
}
