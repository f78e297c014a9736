# The lading image: the exporter, shipper, loader and status as static binaries
# on a distroless base (CA certificates and time zones, no shell, no
# package manager), run as a non-root user. Build it with `make image`.
# A scheduler picks the command: `exporter ...`, `shipper ...`,
# `loader ...` or `status ...` (see docs/operations.md).

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO off: static binaries that need no libc in the final image.
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/lading-dev/lading/internal/version.Version=${VERSION}" \
      -o /out/ ./cmd/exporter ./cmd/shipper ./cmd/loader ./cmd/status

# distroless/static: CA certificates for TLS to the clouds, /etc/passwd
# with the nonroot user (65532), nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/exporter /out/shipper /out/loader /out/status /usr/local/bin/
USER 65532:65532
# Metrics port of --metrics-addr :9464.
EXPOSE 9464
ENTRYPOINT []
CMD ["exporter", "--help"]
