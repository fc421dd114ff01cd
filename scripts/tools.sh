#!/usr/bin/env bash
# Provides the pinned infrastructure binaries in .tools/bin (git-ignored):
#   temporal  — github.com/temporalio/cli v1.5.1 (Temporal dev server 1.29.1)
#   ferretdb  — github.com/FerretDB/FerretDB v1.24.2 (MongoDB wire protocol on SQLite)
#
# Order of preference for each binary:
#   1. TEMPORAL_CLI / FERRETDB_BIN, when set (used as they are, version checked);
#   2. .tools/bin/<name> when it reports the pinned version;
#   3. a per-user cache (~/.cache/exact-export-tools) filled by an earlier build;
#   4. a build from the Go module proxy (needs Go >= 1.25).
#
# Usage: scripts/tools.sh            build/reuse both, print their paths
#        scripts/tools.sh --check    exit 1 (quietly) if either is missing
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.tools/bin"
CACHE="${EXACT_EXPORT_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/exact-export-tools}"

TEMPORAL_VERSION="1.5.1"
TEMPORAL_SERVER_VERSION="1.29.1"
FERRETDB_VERSION="1.24.2"
GO_MIN_MINOR=25

mkdir -p "$BIN" "$CACHE"

say() { printf '[tools] %s\n' "$*" >&2; }

die_no_go() {
  cat >&2 <<EOF
[tools] cannot build $1: $2

  The embedded stack needs the Temporal CLI v${TEMPORAL_VERSION} and FerretDB v${FERRETDB_VERSION},
  built from the Go module proxy. Install Go 1.${GO_MIN_MINOR} or newer (https://go.dev/dl/) with
  access to the Go module proxy (GOPROXY), then run 'make tools' again.

  Alternatively point the project at binaries you already have:
      TEMPORAL_CLI=/path/to/temporal FERRETDB_BIN=/path/to/ferretdb make dev
  or at services you already run:
      TEMPORAL_ADDRESS=host:7233 MONGODB_URI=mongodb://host:27017 make dev
  or run the production-like stack without Go at all:
      docker compose up --build
EOF
  exit 3
}

# The output is captured first: with pipefail, `cmd | grep -q` fails whenever grep stops reading
# before cmd has written everything (SIGPIPE).
version_of() { [ -x "$1" ] && "$1" --version 2>/dev/null; }
temporal_ok() { local v; v="$(version_of "$1")" && [[ "$v" == *"Server ${TEMPORAL_SERVER_VERSION}"* ]]; }
ferretdb_ok() { local v; v="$(version_of "$1")" && grep -qx "version: v${FERRETDB_VERSION}" <<<"$v"; }

need_go() {
  command -v go >/dev/null 2>&1 || die_no_go "$1" "'go' is not on PATH"
  local v minor
  v="$(go env GOVERSION 2>/dev/null || true)"          # e.g. go1.26.8
  minor="$(printf '%s' "$v" | sed -E 's/^go1\.([0-9]+).*/\1/')"
  if ! [[ "$minor" =~ ^[0-9]+$ ]] || [ "$minor" -lt "$GO_MIN_MINOR" ]; then
    die_no_go "$1" "found ${v:-an unknown Go}, need go1.${GO_MIN_MINOR} or newer"
  fi
  if ! go list -m -versions "$2" >/dev/null 2>&1; then
    die_no_go "$1" "the Go module proxy ($(go env GOPROXY)) did not answer for $2"
  fi
}

build_temporal() {
  local out="$CACHE/temporal-v${TEMPORAL_VERSION}"
  if temporal_ok "$out"; then cp "$out" "$BIN/temporal"; return; fi
  need_go temporal github.com/temporalio/cli
  say "building temporal v${TEMPORAL_VERSION} (go install; several minutes on 2 cores the first time)"
  local tmp; tmp="$(mktemp -d)"
  CGO_ENABLED=0 GOBIN="$tmp" go install \
    -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_VERSION}" \
    "github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_VERSION}"
  mv "$tmp/temporal" "$out"; rmdir "$tmp"
  cp "$out" "$BIN/temporal"
}

# FerretDB's main module panics at start-up when built by `go install …@v1.24.2`: its
# build/version/version.txt is produced by its own build task and is not in the module zip.
# So: fetch the very same module from the proxy (`go mod download`), write the version file
# that FerretDB's build would have written, and `go build ./cmd/ferretdb` from that copy.
build_ferretdb() {
  local out="$CACHE/ferretdb-v${FERRETDB_VERSION}"
  if ferretdb_ok "$out"; then cp "$out" "$BIN/ferretdb"; return; fi
  need_go ferretdb github.com/FerretDB/FerretDB
  say "building ferretdb v${FERRETDB_VERSION} (about two minutes on 2 cores the first time)"
  local dir tmp
  dir="$(go mod download -json "github.com/FerretDB/FerretDB@v${FERRETDB_VERSION}" | sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')"
  [ -d "$dir" ] || die_no_go ferretdb "go mod download did not return a module directory"
  tmp="$(mktemp -d)"
  cp -r "$dir/." "$tmp/"
  chmod -R u+w "$tmp"
  printf 'v%s\n' "$FERRETDB_VERSION" > "$tmp/build/version/version.txt"
  (cd "$tmp" && CGO_ENABLED=0 go build -trimpath -o "$out" ./cmd/ferretdb)
  rm -rf "$tmp"
  cp "$out" "$BIN/ferretdb"
}

check_only=false
[ "${1:-}" = "--check" ] && check_only=true

if [ -n "${TEMPORAL_CLI:-}" ]; then
  temporal_ok "$TEMPORAL_CLI" || { say "TEMPORAL_CLI=$TEMPORAL_CLI is not the Temporal CLI v${TEMPORAL_VERSION} (server ${TEMPORAL_SERVER_VERSION})"; exit 2; }
  TEMPORAL_PATH="$TEMPORAL_CLI"
elif temporal_ok "$BIN/temporal"; then
  TEMPORAL_PATH="$BIN/temporal"
else
  $check_only && exit 1
  build_temporal
  TEMPORAL_PATH="$BIN/temporal"
fi

if [ -n "${FERRETDB_BIN:-}" ]; then
  ferretdb_ok "$FERRETDB_BIN" || { say "FERRETDB_BIN=$FERRETDB_BIN is not FerretDB v${FERRETDB_VERSION}"; exit 2; }
  FERRETDB_PATH="$FERRETDB_BIN"
elif ferretdb_ok "$BIN/ferretdb"; then
  FERRETDB_PATH="$BIN/ferretdb"
else
  $check_only && exit 1
  build_ferretdb
  FERRETDB_PATH="$BIN/ferretdb"
fi

$check_only || say "temporal: $TEMPORAL_PATH ($("$TEMPORAL_PATH" --version))"
$check_only || say "ferretdb: $FERRETDB_PATH (v${FERRETDB_VERSION})"
