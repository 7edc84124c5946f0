# wellcheck — see README.md. `make run` (or `make demo`) runs the product, `make test` tests it.

GO          ?= go
SQLC        := github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1
BIN         := bin/wellcheck
DEMO_EMAIL  := coordinator@example.org

.PHONY: run demo serve build release vendor test bench generate db fuzz prompts test-deps soak

# Try wellcheck: a fresh "wellcheck_demo" database (the local cluster started,
# or installed, if need be), demo accounts printed with their passwords,
# fictitious persons called within minutes by the telephone simulator, the
# web interface on 127.0.0.1:8080. Ctrl-C stops everything.
run demo: build db
	$(BIN) demo

# Run the service on database "wellcheck" with the example register, calling
# the callee simulator (most press 1, some press 2, some never answer).
serve: build db
	$(BIN) migrate
	$(BIN) user add --if-missing --email $(DEMO_EMAIL) --name "Camille Coordinatrice" --role coordinator,admin
	$(BIN) import --by $(DEMO_EMAIL) --skip-invalid examples/persons.csv
	$(BIN) callee --weights ok=8,help=1,no_answer=1 & callee=$$!; \
	trap 'kill $$callee' EXIT INT TERM; \
	$(BIN) serve --no-migrate

build: vendor
	$(GO) build -trimpath -o $(BIN) ./cmd/wellcheck

# The release build: a static binary, stamped with its version (`wellcheck
# version`), paths trimmed. The Dockerfile builds the same way.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
release: vendor
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.buildVersion=$(VERSION)" -o $(BIN) ./cmd/wellcheck

# The pages' chart library, fetched from the npm registry at its pinned version
# and checked against the registry's hash (not committed: another project's code).
vendor:
	scripts/vendor-js

# Start the local Postgres cluster if it is stopped (installs it if missing, as root).
db:
	scripts/postgres-up

# gofmt, vet, then every test against the real Postgres and real SIP peers (our
# callee simulator and SIPp) and a headless Chromium, installed here when
# missing, with the race detector.
test: test-deps
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# What the tests need beyond Go and Postgres: SIPp (Debian's sip-tester) and
# baresip and kamailio (registrar and proxy, with kamcmd; in /usr/sbin, off a
# user's PATH) for the dialer, espeak-ng and sox for the answering machines'
# corpus, Chromium for the pages, the pages' scripts and axe-core, which the
# browser tests run on every page, and promtool (Debian's prometheus) for the
# alerting rules' tests.
test-deps: vendor
	@PATH="$$PATH:/usr/sbin" scripts/need sipp=sip-tester baresip=baresip kamailio=kamailio espeak-ng=espeak-ng sox=sox chromium=chromium promtool=prometheus

# Regenerate the default prompt WAV files (espeak-ng + sox, installed if missing).
prompts:
	scripts/prompts

# Benchmarks whose figures are in docs/performance.md (headlines in the README).
bench: db
	$(GO) test ./enroll -run '^$$' -bench Import100k -benchtime 3x -count 5
	$(GO) test ./scheduler -run '^$$' -bench PlannerPass -benchtime 1x -count 3 -timeout 90m
	$(GO) test ./scheduler -run '^$$' -bench Replan -count 5 -timeout 30m
	$(GO) test ./dialer -run '^$$' -bench CallSetup -benchtime 3000x -count 5
	$(GO) test ./dialer -run '^$$' -bench ConcurrentCalls -benchtime 1x -count 3 -timeout 10m
	$(GO) test ./dialer -run '^$$' -bench CallsThroughKamailio -benchtime 200x -count 5
	$(GO) test ./dialer -run '^$$' -bench VersusSIPp -benchtime 3000x -count 5
	$(GO) test ./jobs -run '^$$' -bench SlotToInvite -benchtime 1x -count 3 -timeout 30m
	$(GO) test ./jobs -run '^$$' -bench 'BurnDown/checkins=1000$$' -benchtime 1x -count 3 -timeout 60m
	$(GO) test ./jobs -run '^$$' -bench 'BurnDown/checkins=10000$$' -benchtime 1x -count 1 -timeout 4h
	$(GO) test ./web -run '^$$' -bench Pages -benchtime 1x -count 5 -timeout 90m
	$(GO) test ./web -run '^$$' -bench MetricsScrape -benchtime 50x -count 5 -timeout 90m
	$(GO) test ./internal/dbtest -run '^$$' -bench New -count 5

# Half an hour of a busy morning against a failing database: two nodes, the
# callee simulator, the database cut at random (resets and black holes,
# 5 s to 2 min); reports calls placed, outcomes recorded, lost and duplicate
# calls (goal 0 each), and how soon calls resumed after each cut. Figures in
# docs/performance.md.
soak: build db
	$(BIN) soak

# A short fuzzing pass over what parses the outside world.
fuzz:
	$(GO) test ./enroll -run '^$$' -fuzz FuzzReadCSV -fuzztime 30s
	$(GO) test ./enroll -run '^$$' -fuzz FuzzDecodeRequest -fuzztime 30s
	$(GO) test ./web -run '^$$' -fuzz FuzzAPIBody -fuzztime 30s
	$(GO) test ./internal/media -run '^$$' -fuzz FuzzParse -fuzztime 30s
	$(GO) test ./internal/media -run '^$$' -fuzz FuzzEventDetector -fuzztime 30s
	$(GO) test ./internal/media -run '^$$' -fuzz FuzzToneDetector -fuzztime 30s
	$(GO) test ./internal/media -run '^$$' -fuzz FuzzReadRTCP -fuzztime 30s
	$(GO) test ./dialer -run '^$$' -fuzz FuzzInfoKey -fuzztime 30s

# Regenerate store/internal/dbsqlc from store/queries/*.sql with the pinned sqlc.
generate:
	$(GO) run $(SQLC) generate
