#!/usr/bin/env bash
# Provides the pinned infrastructure binaries in .tools/bin (git-ignored):
#   temporal  — github.com/temporalio/cli v1.5.1 (Temporal dev server 1.29.1)
#   ferretdb  — github.com/FerretDB/FerretDB v1.24.2 (MongoDB wire protocol on SQLite)
#   temporal-test-server — io.temporal:temporal-test-server 1.31.0 (Maven Central): Temporal's
#               time-skipping test server for the workflow tests, a wrapper around `java`
#   chromium  — Debian's Chromium (/usr/bin/chromium) for the browser tests (test/browser); not
#               built: installed with apt-get when missing (as root, or through sudo). Only when
#               asked for by name (scripts/test.ts does so when it runs browser tests).
#
# Order of preference for each tool:
#   1. TEMPORAL_CLI / FERRETDB_BIN / TEMPORAL_TEST_SERVER, when set (used as they are, version checked);
#   2. .tools/bin/<name> when it reports the pinned version;
#   3. a per-user cache (~/.cache/exact-export-tools) filled by an earlier build;
#   4. a build from the Go module proxy (needs Go >= 1.25); for the test server, its jars from
#      Maven Central (needs Java and Maven).
#
# Usage: scripts/tools.sh [NAME...]          build/reuse the named tools (default: the three above chromium), print their paths
#        scripts/tools.sh --check [NAME...]  exit 1 (quietly) if any of them is missing
#   `make dev` asks for temporal and ferretdb only: running the product needs no Java.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.tools/bin"
CACHE="${EXACT_EXPORT_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/exact-export-tools}"

TEMPORAL_VERSION="1.5.1"
TEMPORAL_SERVER_VERSION="1.29.1"
FERRETDB_VERSION="1.24.2"
GO_MIN_MINOR=25
TEST_SERVER_VERSION="1.31.0"
MAVEN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

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
# Our build carries two small patches (see build_ferretdb) and says so in its package line.
FERRETDB_PATCH="id-index-3"
ferretdb_built_here() { local v; v="$(version_of "$1")" && grep -qx "version: v${FERRETDB_VERSION}" <<<"$v" && grep -qx "package: patched-${FERRETDB_PATCH}" <<<"$v"; }

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

test_server_ok() { local v; v="$(version_of "$1")" && [ "$v" = "temporal-test-server ${TEST_SERVER_VERSION}" ]; }

die_no_java() {
  cat >&2 <<EOF
[tools] cannot provide temporal-test-server ${TEST_SERVER_VERSION}: $1

  The workflow tests run on Temporal's time-skipping test server, the Java artifact
  io.temporal:temporal-test-server:${TEST_SERVER_VERSION} from Maven Central. Install a Java runtime
  (the project is tested with Java 17) and Maven ('mvn', with access to Maven Central or to a
  mirror configured in ~/.m2/settings.xml), then run 'make tools' again.

  Alternatively point the project at a wrapper you already have (it must answer --version):
      TEMPORAL_TEST_SERVER=/path/to/temporal-test-server make test
EOF
  exit 3
}

need_java() {
  command -v java >/dev/null 2>&1 || die_no_java "'java' is not on PATH"
  java -version >/dev/null 2>&1 || die_no_java "'java -version' failed"
}

# Maven copies the server's jar and its dependencies, resolved through a throw-away pom, into the
# cache (so the classpath does not depend on what ~/.m2 keeps). They are copied to .tools/lib, and
# .tools/bin/temporal-test-server starts the server's main class with the arguments the SDK passes
# to the native binary (`<port>`).
build_test_server() {
  local name="temporal-test-server-${TEST_SERVER_VERSION}"
  local out="$CACHE/$name"
  need_java
  if [ ! -f "$out/lib/${name}.jar" ]; then
    command -v mvn >/dev/null 2>&1 || die_no_java "'mvn' (Maven) is not on PATH"
    say "resolving io.temporal:temporal-test-server:${TEST_SERVER_VERSION} and its dependencies from Maven Central (once, about 35 MB)"
    local tmp; tmp="$(mktemp -d)"
    cat > "$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.exact-export-tools</groupId>
  <artifactId>temporal-test-server-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEST_SERVER_VERSION}</version>
    </dependency>
  </dependencies>
</project>
EOF
    if ! (cd "$tmp" && mvn -B -q "${MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies" -DincludeScope=runtime -DoutputDirectory="$tmp/lib" >"$tmp/mvn.log" 2>&1); then
      tail -n 20 "$tmp/mvn.log" >&2
      rm -rf "$tmp"
      die_no_java "Maven could not resolve io.temporal:temporal-test-server:${TEST_SERVER_VERSION} (its output is above)"
    fi
    [ -f "$tmp/lib/${name}.jar" ] || { rm -rf "$tmp"; die_no_java "Maven did not produce ${name}.jar"; }
    # Swap in whole: another checkout may be reading the cache.
    mkdir -p "$out"
    mv "$tmp/lib" "$out/lib.$$"
    rm -rf "$tmp" "$out/lib"
    mv "$out/lib.$$" "$out/lib"
  fi
  mkdir -p "$ROOT/.tools/lib"
  rm -rf "$ROOT/.tools/lib/$name"
  cp -RL "$out/lib" "$ROOT/.tools/lib/$name"
  sed "s/@NAME@/$name/g" > "$BIN/temporal-test-server.$$" <<'EOF'
#!/usr/bin/env bash
# Temporal's time-skipping test server (io.temporal:temporal-test-server, jars in .tools/lib/@NAME@),
# written by scripts/tools.sh.  Usage: temporal-test-server <port>  |  temporal-test-server --version
set -euo pipefail
LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")/../lib/@NAME@" 2>/dev/null && pwd)" || { echo "temporal-test-server: its jars are missing; run 'make tools'" >&2; exit 1; }
if [ "${1:-}" = --version ]; then
  # Reports the jar that is really there, not a version written into this file.
  for jar in "$LIB"/temporal-test-server-*.jar; do
    [ -f "$jar" ] || exit 1
    v="${jar##*/temporal-test-server-}"
    echo "temporal-test-server ${v%.jar}"
    exit 0
  done
fi
# A small heap, the serial collector and the quick JIT: the server is small and shares the CPU with the tests.
exec java ${TEMPORAL_TEST_SERVER_JAVA_OPTS:--Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1} -cp "$LIB/*" io.temporal.testserver.TestServer "$@"
EOF
  chmod +x "$BIN/temporal-test-server.$$"
  mv "$BIN/temporal-test-server.$$" "$BIN/temporal-test-server"
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
#
# Two patches, one line each, both about finding a document by `_id`:
# 1. The SQLite backend looks documents up by `_id` with the path '$._id' while its unique `_id`
#    index is on the label "_id"; SQLite uses an index only for the very expression it was built
#    on, so every lookup, update and delete by `_id` scanned the whole table, parsing every
#    document's JSON (measured: 40 ms per findOne, 130 ms per update with 2,000 documents of
#    20 KB). The patch writes the lookup as the index is written (same meaning in SQLite's `->`).
# 2. A query is narrowed by `_id` in SQL (and `explain` says so) only when `_id` is the filter's one key, so a conditional
#    write (`{_id, status: …}`, compare-and-set) read the whole collection. The patch narrows by
#    `_id` whenever the filter has it as a string; every command filters the rows again with the
#    whole filter (find, update, delete, findAndModify, count, distinct, aggregate all do), and
#    an `_id` matches at most one row, so the result is the same.
# The build says `package: patched-<patch>` in `--version`.
build_ferretdb() {
  local out="$CACHE/ferretdb-v${FERRETDB_VERSION}-${FERRETDB_PATCH}"
  if ferretdb_built_here "$out"; then cp "$out" "$BIN/ferretdb"; return; fi
  need_go ferretdb github.com/FerretDB/FerretDB
  say "building ferretdb v${FERRETDB_VERSION} (about two minutes on 2 cores the first time)"
  local dir tmp
  dir="$(go mod download -json "github.com/FerretDB/FerretDB@v${FERRETDB_VERSION}" | sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')"
  [ -d "$dir" ] || die_no_go ferretdb "go mod download did not return a module directory"
  tmp="$(mktemp -d)"
  cp -r "$dir/." "$tmp/"
  chmod -R u+w "$tmp"
  printf 'v%s\n' "$FERRETDB_VERSION" > "$tmp/build/version/version.txt"
  printf 'patched-%s\n' "$FERRETDB_PATCH" > "$tmp/build/version/package.txt"
  local meta="$tmp/internal/backends/sqlite/metadata/metadata.go"
  grep -q "IDColumn = DefaultColumn + \"->'\$._id'\"" "$meta" || { say "ferretdb: the line to patch is not in $meta"; exit 1; }
  sed -i "s|IDColumn = DefaultColumn + \"->'\$._id'\"|IDColumn = DefaultColumn + \"->'_id'\"|" "$meta"
  grep -q "IDColumn = DefaultColumn + \"->'_id'\"" "$meta" || { say "ferretdb: patching $meta failed"; exit 1; }
  local coll="$tmp/internal/backends/sqlite/collection.go"
  # Query's narrowing and Explain's report of it (the same line in both).
  [ "$(grep -c 'if params.Filter.Len() == 1 {' "$coll")" = 2 ] || { say "ferretdb: the lines to patch are not in $coll"; exit 1; }
  sed -i 's/if params.Filter.Len() == 1 {/if params.Filter.Len() >= 1 {/' "$coll"
  [ "$(grep -c 'if params.Filter.Len() >= 1 {' "$coll")" = 2 ] || { say "ferretdb: patching $coll failed"; exit 1; }
  (cd "$tmp" && CGO_ENABLED=0 go build -trimpath -o "$out" ./cmd/ferretdb)
  rm -rf "$tmp"
  cp "$out" "$BIN/ferretdb"
}

# Debian's Chromium, for the browser tests. CHROMIUM_BIN points at another build. Installing it is
# a package installation (apt-get, as root or through sudo without a password); once there, this
# is a version check and nothing more.
chromium_ok() { local v; v="$(version_of "$1")" && [[ "$v" == Chromium* ]]; }

die_no_chromium() {
  cat >&2 <<EOF
[tools] cannot provide chromium for the browser tests: $1

  The browser tests (test/browser) drive Debian's Chromium. Install it once:
      sudo apt-get install chromium
  or point the tests at a Chromium you have:
      CHROMIUM_BIN=/path/to/chromium make test
EOF
  exit 3
}

install_chromium() {
  command -v apt-get >/dev/null 2>&1 || die_no_chromium "it is not installed and there is no apt-get here"
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || die_no_chromium "it is not installed, and installing it needs root"
    sudo=(sudo -n)
  fi
  say "installing Debian's chromium (apt-get, once)"
  if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >/dev/null; then
    # A fresh machine may not have the package lists yet.
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -q >/dev/null || die_no_chromium "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >/dev/null || die_no_chromium "apt-get install chromium failed"
  fi
}

check_only=false
wanted=()
for arg in "$@"; do
  case "$arg" in
    --check) check_only=true ;;
    temporal | ferretdb | temporal-test-server | chromium) wanted+=("$arg") ;;
    *) say "unknown argument '$arg' (usage: scripts/tools.sh [--check] [temporal] [ferretdb] [temporal-test-server] [chromium])"; exit 2 ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=(temporal ferretdb temporal-test-server)
wants() { [[ " ${wanted[*]} " == *" $1 "* ]]; }

if ! wants temporal; then
  :
elif [ -n "${TEMPORAL_CLI:-}" ]; then
  temporal_ok "$TEMPORAL_CLI" || { say "TEMPORAL_CLI=$TEMPORAL_CLI is not the Temporal CLI v${TEMPORAL_VERSION} (server ${TEMPORAL_SERVER_VERSION})"; exit 2; }
  TEMPORAL_PATH="$TEMPORAL_CLI"
elif temporal_ok "$BIN/temporal"; then
  TEMPORAL_PATH="$BIN/temporal"
else
  $check_only && exit 1
  build_temporal
  TEMPORAL_PATH="$BIN/temporal"
fi

if ! wants ferretdb; then
  :
elif [ -n "${FERRETDB_BIN:-}" ]; then
  ferretdb_ok "$FERRETDB_BIN" || { say "FERRETDB_BIN=$FERRETDB_BIN is not FerretDB v${FERRETDB_VERSION}"; exit 2; }
  FERRETDB_PATH="$FERRETDB_BIN"
elif ferretdb_built_here "$BIN/ferretdb"; then
  FERRETDB_PATH="$BIN/ferretdb"
else
  $check_only && exit 1
  build_ferretdb
  FERRETDB_PATH="$BIN/ferretdb"
fi

if ! wants temporal-test-server; then
  :
elif [ -n "${TEMPORAL_TEST_SERVER:-}" ]; then
  test_server_ok "$TEMPORAL_TEST_SERVER" || { say "TEMPORAL_TEST_SERVER=$TEMPORAL_TEST_SERVER is not temporal-test-server ${TEST_SERVER_VERSION}"; exit 2; }
  TEST_SERVER_PATH="$TEMPORAL_TEST_SERVER"
elif test_server_ok "$BIN/temporal-test-server" && command -v java >/dev/null 2>&1; then
  TEST_SERVER_PATH="$BIN/temporal-test-server"
else
  $check_only && exit 1
  build_test_server
  test_server_ok "$BIN/temporal-test-server" || { say "$BIN/temporal-test-server does not report ${TEST_SERVER_VERSION}"; exit 1; }
  TEST_SERVER_PATH="$BIN/temporal-test-server"
fi

if ! wants chromium; then
  :
elif [ -n "${CHROMIUM_BIN:-}" ]; then
  chromium_ok "$CHROMIUM_BIN" || { say "CHROMIUM_BIN=$CHROMIUM_BIN does not answer --version as Chromium"; exit 2; }
  CHROMIUM_PATH="$CHROMIUM_BIN"
elif chromium_ok /usr/bin/chromium; then
  CHROMIUM_PATH=/usr/bin/chromium
else
  $check_only && exit 1
  install_chromium
  chromium_ok /usr/bin/chromium || die_no_chromium "/usr/bin/chromium does not answer --version after the installation"
  CHROMIUM_PATH=/usr/bin/chromium
fi

if ! $check_only; then
  wants chromium && say "chromium: $CHROMIUM_PATH ($("$CHROMIUM_PATH" --version 2>/dev/null))"
  wants temporal && say "temporal: $TEMPORAL_PATH ($("$TEMPORAL_PATH" --version))"
  wants ferretdb && say "ferretdb: $FERRETDB_PATH (v${FERRETDB_VERSION})"
  wants temporal-test-server && say "temporal-test-server: $TEST_SERVER_PATH ($("$TEST_SERVER_PATH" --version))"
fi
exit 0
