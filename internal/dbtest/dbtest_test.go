package dbtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// BenchmarkNew measures what each test pays for its database: getting one,
// writing to it as a test does, and disposing of it when the test ends.
func BenchmarkNew(b *testing.B) {
	use := func() {
		url, release := acquire(b)
		conn, err := pgx.Connect(context.Background(), url)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(context.Background(), "INSERT INTO users (email, full_name, roles) VALUES ('b@example.org', 'B', '{coordinator}')"); err != nil {
			b.Fatal(err)
		}
		conn.Close(context.Background())
		release()
	}
	use() // the template, built once per schema
	for b.Loop() {
		use()
	}
}
