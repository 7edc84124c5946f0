# The wellcheck service in a container: one static binary on a distroless base.
#
#   docker build --pull --build-arg VERSION=v1.2.3 -t wellcheck .
#   docker run --env-file deploy/wellcheck.env --network host wellcheck
#
# Configuration is the WELLCHECK_* environment variables listed in
# deploy/wellcheck.env. Other commands run the same way, e.g.
# `docker run --rm --env-file … wellcheck user add …` or `… wellcheck migrate`.

# ---- build ----------------------------------------------------------------
# go.mod asks for Go 1.26.8 and this image sets GOTOOLCHAIN=local: if an old
# cached 1.26 image refuses go.mod, build again with --pull.
FROM golang:1.26-bookworm AS build
WORKDIR /src

# Modules first, so a change to the code does not download them again.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
# Chart.js and htmx, at their pinned versions, checked against the npm
# registry's hashes, into web/static/vendor/ (embedded in the binary). The
# script only fetches what is missing, so a build context that already holds
# them builds without access to the npm registry. It needs bash, curl,
# coreutils and tar, which this image has.
RUN scripts/vendor-js

# `wellcheck version` prints VERSION. The zone database is embedded as well
# (cmd/wellcheck imports time/tzdata), so time zones resolve without
# /usr/share/zoneinfo.
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.buildVersion=${VERSION}" -o /out/wellcheck ./cmd/wellcheck \
 && mkdir -p /out/state

# ---- run ------------------------------------------------------------------
# Distroless static, nonroot variant: CA certificates (for Postgres and SIP over
# TLS), tzdata, a passwd entry for user "nonroot" (65532), and no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/wellcheck /wellcheck
# The node's own directory: the outcomes of its calls until the database has
# them. A volume, so that a recreated container records what the last one
# heard; give each node (each replica) its own.
COPY --from=build --chown=65532:65532 /out/state /var/lib/wellcheck
ENV WELLCHECK_STATE_DIR=/var/lib/wellcheck
VOLUME /var/lib/wellcheck
USER 65532:65532

# Listen on every interface inside the container. Session cookies are then
# Secure, so put a TLS proxy in front of port 8080.
ENV WELLCHECK_HTTP_ADDR=0.0.0.0:8080

# 8080: web interface and JSON API. 5062: SIP (--sip-listen), UDP by default,
# TCP with WELLCHECK_SIP_TRANSPORT=tcp.
#
# RTP has no fixed range: each call opens one UDP socket on port 0, so the
# kernel picks a port from net.ipv4.ip_local_port_range (32768-60999 on Linux
# by default). Either run with --network host, or narrow the range for the
# container and publish just that range, for example
#   --sysctl net.ipv4.ip_local_port_range="40000 40999" -p 40000-40999:40000-40999/udp
# (one port per call in progress, see WELLCHECK_TRUNK_CHANNELS; the container's
# outgoing connections, to Postgres for one, draw from the same range). Behind
# NAT, set WELLCHECK_SIP_EXTERNAL_ADDR to the public address, otherwise SIP and
# SDP advertise the container's own address.
EXPOSE 8080/tcp 5062/udp 5062/tcp

# No HEALTHCHECK: the image has no curl or shell to run one. Orchestrators can
# probe GET /healthz (the process is up) and GET /readyz (the database
# answers, its migrations are applied and, on a worker, the SIP transport is
# bound; 503 otherwise) on port 8080; Prometheus scrapes GET /metrics there.
# Give a stopping container WELLCHECK_SOFT_STOP + 30 s (docker stop -t 90).
ENTRYPOINT ["/wellcheck"]
CMD ["serve"]
