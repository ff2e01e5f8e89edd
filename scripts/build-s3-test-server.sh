#!/usr/bin/env bash
# build-s3-test-server.sh: builds gofakes3 (MIT; an S3-compatible server in one
# Go binary, github.com/johannesboyne/gofakes3) once into $BRAID_CACHE_DIR/bin,
# for the tests of the lake on an object store (test/integration/lake-s3.test.ts).
# The same way braid builds the Temporal CLI: `go install` from the Go module
# proxy, no Docker, no release downloads. The test setup runs this script when
# the binary is missing; running it by hand first is optional.
#
# Prints the binary's path on stdout. A VERSION file beside it makes a changed
# GOFAKES3_VERSION rebuild; a lock directory keeps concurrent first runs (two
# test files, two clones) from building at once.
#
# Settings (environment variables, all optional):
#   GOFAKES3_VERSION   module version           (v1.2.0)
#   BRAID_CACHE_DIR    cache root               (~/.cache/braid, or $XDG_CACHE_HOME/braid)
#
# Needs Go (1.24+; /usr/local/go/bin is tried when `go` is not on PATH).
set -euo pipefail

version="${GOFAKES3_VERSION:-v1.2.0}"
cache="${BRAID_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/braid}"
bin_dir="$cache/bin"
target="$bin_dir/gofakes3"
stamp="$bin_dir/gofakes3.VERSION"
lock="$cache/gofakes3-build.lock"

log() { printf 'build-s3-test-server: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

built() { [[ -x "$target" && "$(cat "$stamp" 2>/dev/null)" == "$version" ]]; }

if built; then echo "$target"; exit 0; fi

if command -v go >/dev/null 2>&1; then go="$(command -v go)"
elif [[ -x /usr/local/go/bin/go ]]; then go=/usr/local/go/bin/go
else die "Go is needed to build gofakes3 (go install); put it on PATH"
fi

mkdir -p "$bin_dir"
# Wait for another build; a lock older than 30 minutes belongs to one that died.
until mkdir "$lock" 2>/dev/null; do
  if built; then echo "$target"; exit 0; fi
  if [[ -n "$(find "$lock" -maxdepth 0 -mmin +30 2>/dev/null)" ]]; then rm -rf "$lock"; continue; fi
  log "waiting for another process that is building gofakes3"
  sleep 2
done
trap 'rm -rf "$lock"' EXIT

if ! built; then
  log "building github.com/johannesboyne/gofakes3 $version into $bin_dir (once; later runs reuse it)"
  started=$SECONDS
  (cd / && GOBIN="$bin_dir" CGO_ENABLED=0 GOFLAGS=-mod=mod "$go" install "github.com/johannesboyne/gofakes3/cmd/gofakes3@$version")
  [[ -x "$target" ]] || die "go install finished but $target is missing"
  echo "$version" >"$stamp"
  log "built in $((SECONDS - started))s"
fi
echo "$target"
