#!/usr/bin/env bash
# temporal-sql-server.sh: run the real Temporal server (not the CLI dev server)
# with Postgres persistence, for trying braid against a production-shaped
# Temporal on one machine.
#
# What it does, in order:
#   1. builds `temporal-server` and `temporal-sql-tool` once into
#      $BRAID_CACHE_DIR/temporal-server/bin with `go install` (the same way
#      braid builds the Temporal CLI; no Docker, no release downloads);
#   2. creates the Postgres databases for persistence and visibility if missing
#      and brings their schemas up to date from the server module's
#      schema/postgresql/v12 directories (idempotent: safe to run every time);
#   3. writes a server config (postgres12 plugin, one cluster, 4 history shards)
#      into $BRAID_CACHE_DIR/temporal-server/config/;
#   4. starts `temporal-server start` with all services in the foreground of
#      this script, registers the namespace once the frontend answers, and
#      stays until Ctrl-C / SIGTERM, which it passes on to the server.
#
# Then point braid at it:
#   TEMPORAL_ADDRESS=127.0.0.1:7333 node bin/braid.js up
#
# Settings (environment variables, all optional):
#   TEMPORAL_SERVER_VERSION   go.temporal.io/server version   (v1.29.1, what temporalio/cli v1.5.1 depends on)
#   TEMPORAL_SQL_PORT         frontend gRPC port               (7333; history +1, matching +2,
#                                                              worker +6 (reserved), frontend HTTP +10,
#                                                              membership ports = gRPC port - 300)
#   TEMPORAL_SQL_DB           persistence database              (temporal)
#   TEMPORAL_SQL_VISIBILITY_DB visibility database              (temporal_visibility)
#   TEMPORAL_SQL_PG_HOST / TEMPORAL_SQL_PG_PORT                 (127.0.0.1 / 5432)
#   TEMPORAL_SQL_PG_USER / TEMPORAL_SQL_PG_PASSWORD             (postgres / empty)
#   TEMPORAL_SQL_LOG_LEVEL    server log level                  (warn)
#   TEMPORAL_NAMESPACE        namespace to register             (default, as braid uses)
#   TEMPORAL_NAMESPACE_RETENTION  retention of closed workflows (72h)
#   BRAID_CACHE_DIR           cache root                        (~/.cache/braid)
#   BRAID_TEMPORAL_BIN        Temporal CLI used to register the namespace
#                             (default: $BRAID_CACHE_DIR/bin/temporal, then `temporal` on PATH,
#                             else it is built there like braid does)
#
# Needs: Go (1.25+; /usr/local/go/bin is tried when `go` is not on PATH) and
# `psql` for the database existence check (otherwise temporal-sql-tool is used).
set -euo pipefail

# --- settings ----------------------------------------------------------------
server_version="${TEMPORAL_SERVER_VERSION:-v1.29.1}"
cli_version="v1.5.1" # the Temporal CLI braid itself builds (runtime/services/temporal.ts)
port="${TEMPORAL_SQL_PORT:-7333}"
db="${TEMPORAL_SQL_DB:-temporal}"
vis_db="${TEMPORAL_SQL_VISIBILITY_DB:-temporal_visibility}"
pg_host="${TEMPORAL_SQL_PG_HOST:-127.0.0.1}"
pg_port="${TEMPORAL_SQL_PG_PORT:-5432}"
pg_user="${TEMPORAL_SQL_PG_USER:-postgres}"
pg_password="${TEMPORAL_SQL_PG_PASSWORD:-}"
log_level="${TEMPORAL_SQL_LOG_LEVEL:-warn}"
namespace="${TEMPORAL_NAMESPACE:-default}"
retention="${TEMPORAL_NAMESPACE_RETENTION:-72h}"
cache="${BRAID_CACHE_DIR:-$HOME/.cache/braid}"
home="$cache/temporal-server"
bin_dir="$home/bin"
conf_dir="$home/config"
server_bin="$bin_dir/temporal-server"
sql_tool="$bin_dir/temporal-sql-tool"

log() { printf 'temporal-sql-server: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- Go ----------------------------------------------------------------------
go_bin() {
  if command -v go >/dev/null 2>&1; then command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go
  else die "Go is needed to build the Temporal server (go install); put it on PATH"
  fi
}

# --- 1. build the binaries once ------------------------------------------------
# `go install` names binaries after their package directory (cmd/server ->
# "server", cmd/tools/sql -> "sql"), so they are renamed after the build. A
# VERSION file next to them makes a changed TEMPORAL_SERVER_VERSION rebuild.
build_server() {
  local go; go="$(go_bin)"
  mkdir -p "$bin_dir"
  if [[ -x "$server_bin" && -x "$sql_tool" && "$(cat "$bin_dir/VERSION" 2>/dev/null)" == "$server_version" ]]; then
    return
  fi
  log "building go.temporal.io/server $server_version (server + sql tool) into $bin_dir; this takes several minutes the first time"
  local started=$SECONDS
  GOBIN="$bin_dir" CGO_ENABLED=0 GOFLAGS=-mod=mod nice -n 10 "$go" install \
    "go.temporal.io/server/cmd/server@$server_version" \
    "go.temporal.io/server/cmd/tools/sql@$server_version"
  mv -f "$bin_dir/server" "$server_bin"
  mv -f "$bin_dir/sql" "$sql_tool"
  echo "$server_version" >"$bin_dir/VERSION"
  log "built in $((SECONDS - started))s"
}

# The server module in the Go module cache holds the schema directories
# (schema/postgresql/v12/{temporal,visibility}); `go install` above put it there,
# `go mod download` makes sure of it and tells where it is.
module_dir() {
  local go dir; go="$(go_bin)"
  dir="$(cd / && GOFLAGS=-mod=mod "$go" mod download -json "go.temporal.io/server@$server_version" \
    | sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$dir" && -d "$dir/schema/postgresql/v12" ]] || die "schema/postgresql/v12 not found in the module cache for go.temporal.io/server@$server_version"
  echo "$dir"
}

# temporal-sql-tool with the connection flags every call shares: $1 is the
# database, the rest is the subcommand and its flags.
sql_tool_for() {
  "$sql_tool" --plugin postgres12 --ep "$pg_host" -p "$pg_port" -u "$pg_user" --pw "$pg_password" --db "$1" "${@:2}"
}

# --- 2. databases and schemas ------------------------------------------------
ensure_database() {
  local name="$1"
  if command -v psql >/dev/null 2>&1; then
    local exists
    exists="$(PGPASSWORD="$pg_password" psql -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$name'")"
    if [[ "$exists" != "1" ]]; then
      log "creating database $name"
      sql_tool_for "$name" create-database --defaultdb postgres
    fi
  else
    # Without psql: CREATE DATABASE fails harmlessly when it exists (--quiet);
    # a real connection problem shows up in setup-schema below.
    sql_tool_for "$name" --quiet create-database --defaultdb postgres || true
  fi
}

ensure_schema() {
  local name="$1" versioned_dir="$2"
  # setup-schema -v 0.0 only creates the schema_version bookkeeping tables (and
  # does nothing once a version is recorded); update-schema then applies every
  # versioned step newer than the recorded one.
  # The tool logs every statement at debug level; keep that out of the way and
  # show it only when a step fails.
  local out
  out="$(mktemp)"
  if ! sql_tool_for "$name" setup-schema -v 0.0 >"$out" 2>&1 ||
    ! sql_tool_for "$name" update-schema -d "$versioned_dir" >>"$out" 2>&1; then
    cat "$out" >&2
    rm -f "$out"
    die "schema setup of database $name failed (output above)"
  fi
  rm -f "$out"
  log "schema of $name is current ($versioned_dir)"
}

# --- 3. server config ----------------------------------------------------------
# Keys follow config/development-postgres12.yaml of the same server version.
# The server reads <config dir>/<env>.yaml; env is "development" (its default).
write_config() {
  mkdir -p "$conf_dir"
  local frontend=$port history=$((port + 1)) matching=$((port + 2)) worker=$((port + 6)) http=$((port + 10))
  local member=$((port - 300))
  cat >"$conf_dir/development.yaml" <<YAML
# Written by scripts/temporal-sql-server.sh; rewritten on every start.
log:
  stdout: true
  level: "$log_level"

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: 4
  datastores:
    postgres-default:
      sql:
        pluginName: "postgres12"
        databaseName: "$db"
        connectAddr: "$pg_host:$pg_port"
        connectProtocol: "tcp"
        user: "$pg_user"
        password: "$pg_password"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: "1h"
    postgres-visibility:
      sql:
        pluginName: "postgres12"
        databaseName: "$vis_db"
        connectAddr: "$pg_host:$pg_port"
        connectProtocol: "tcp"
        user: "$pg_user"
        password: "$pg_password"
        maxConns: 5
        maxIdleConns: 5
        maxConnLifetime: "1h"

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"

services:
  frontend:
    rpc:
      grpcPort: $frontend
      membershipPort: $((member))
      bindOnLocalHost: true
      httpPort: $http
  history:
    rpc:
      grpcPort: $history
      membershipPort: $((member + 1))
      bindOnLocalHost: true
  matching:
    rpc:
      grpcPort: $matching
      membershipPort: $((member + 2))
      bindOnLocalHost: true
  worker:
    rpc:
      grpcPort: $worker
      membershipPort: $((member + 6))
      bindOnLocalHost: true

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:$frontend"

dcRedirectionPolicy:
  policy: "noop"

archival:
  history:
    state: "disabled"
  visibility:
    state: "disabled"

namespaceDefaults:
  archival:
    history:
      state: "disabled"
    visibility:
      state: "disabled"
YAML
}

# --- 4. namespace ----------------------------------------------------------------
temporal_cli() {
  local candidate="${BRAID_TEMPORAL_BIN:-$cache/bin/temporal}"
  if [[ -x "$candidate" ]]; then echo "$candidate"; return; fi
  if command -v temporal >/dev/null 2>&1; then command -v temporal; return; fi
  log "building the Temporal CLI $cli_version into $cache/bin (as braid does)"
  mkdir -p "$cache/bin"
  GOBIN="$cache/bin" CGO_ENABLED=0 GOFLAGS=-mod=mod nice -n 10 "$(go_bin)" install "github.com/temporalio/cli/cmd/temporal@$cli_version"
  echo "$cache/bin/temporal"
}

register_namespace() {
  local cli="$1" address="127.0.0.1:$port" i
  for ((i = 0; i < 120; i++)); do
    "$cli" operator cluster health --address "$address" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || return 1
    sleep 1
  done
  if "$cli" operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
    log "namespace $namespace already registered"
    return
  fi
  # The frontend can answer health before history/matching joined the ring; retry.
  for ((i = 0; i < 30; i++)); do
    if "$cli" operator namespace create --address "$address" --namespace "$namespace" --retention "$retention" >/dev/null 2>&1; then
      log "registered namespace $namespace (retention $retention)"
      return
    fi
    "$cli" operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1 && return
    sleep 1
  done
  log "could not register namespace $namespace; try: $cli operator namespace create --address $address --namespace $namespace"
}

# --- main ------------------------------------------------------------------------
build_server
schema_root="$(module_dir)/schema/postgresql/v12"
ensure_database "$db"
ensure_database "$vis_db"
ensure_schema "$db" "$schema_root/temporal/versioned"
ensure_schema "$vis_db" "$schema_root/visibility/versioned"
write_config
cli="$(temporal_cli)"

log "starting Temporal $server_version on 127.0.0.1:$port (Postgres $pg_host:$pg_port, databases $db + $vis_db)"
started=$SECONDS
# All four services (frontend, history, matching, worker) in one process; the
# server's own default when no --service is given.
"$server_bin" --root "$home" --config config --env development --allow-no-auth start &
server_pid=$!
# Pass Ctrl-C / SIGTERM on to the server and wait for it to shut down.
trap 'kill -TERM "$server_pid" 2>/dev/null || true' INT TERM

if register_namespace "$cli"; then
  log "ready after $((SECONDS - started))s: TEMPORAL_ADDRESS=127.0.0.1:$port TEMPORAL_NAMESPACE=$namespace (Ctrl-C stops)"
fi
# `wait` returns early when a trapped signal arrives; wait again for the exit.
status=0
wait "$server_pid" || status=$?
if kill -0 "$server_pid" 2>/dev/null; then wait "$server_pid" || status=$?; fi
exit "$status"
