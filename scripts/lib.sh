# Shared by scripts/dev, scripts/test and bench/run. Source it; do not run it.
# Works on a fresh Debian 12 machine as root or as a user with sudo.

TRAINIA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

# Packages the build, the tests and the local run need (Debian 12 names).
TRAINIA_PACKAGES=(build-essential cmake ccache pkg-config libcaf-dev libboost-dev libboost-system-dev
  nlohmann-json3-dev libpq-dev libssl-dev catch2 postgresql-15 postgresql-client-15 openssl curl nginx-light)
# The fuzz stage (scripts/fuzz): clang with libFuzzer and the sanitizer runtimes.
TRAINIA_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev llvm-14)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs whatever of TRAINIA_PACKAGES (plus "$@") is missing.
ensure_packages() {
  local missing=()
  for p in "${TRAINIA_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    as_root apt-get update >/dev/null
    as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  }
}

# build <dir> <build type> [extra cmake args…]
build() {
  local dir="$1" type="$2"
  shift 2
  local jobs
  jobs="$(nproc)"
  say "building ($type) in $dir"
  # Let ccache hit across checkouts in different directories (CI clones afresh).
  export CCACHE_BASEDIR="$TRAINIA_ROOT" CCACHE_NOHASHDIR=true
  # Three builds (normal, ASan, fuzz) with debug info outgrow ccache's 5 GB default.
  if command -v ccache >/dev/null; then
    local max
    max="$(ccache -k max_size 2>/dev/null || echo 0)"
    case "$max" in *G) [ "${max%.*G}" -ge 20 ] 2>/dev/null || ccache -M 20G >/dev/null ;; *) ccache -M 20G >/dev/null ;; esac
  fi
  cmake -S "$TRAINIA_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="$type" "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

# A TCP port on 127.0.0.1 that nothing listens on, below the kernel's ephemeral
# range: a port there can be the local end of some outgoing connection (which a
# connect test does not see) and then fail to bind.
free_port() {
  local p low=32768
  [ -r /proc/sys/net/ipv4/ip_local_port_range ] && read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  [ "$low" -gt 12000 ] || low=32768
  for _ in $(seq 1 200); do
    p=$(( (RANDOM % (low - 11000)) + 10000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}

# PostgreSQL refuses to run as root: then it runs as the postgres user.
pg_user_prefix() {
  if [ "$(id -u)" -eq 0 ]; then echo "runuser -u postgres --"; fi
}

# pg_start <data dir> <port> <log file> [extra -c settings…]
# Creates the cluster if needed (trust auth on loopback, superuser "postgres")
# and starts it, listening on 127.0.0.1 only, sockets in the data directory.
pg_start() {
  local data="$1" port="$2" logf="$3"
  shift 3
  local run
  run="$(pg_user_prefix)"
  mkdir -p "$data"
  if [ -n "$run" ]; then chown -R postgres: "$data" "$(dirname "$logf")" 2>/dev/null || true; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    $run "$PG_BIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null ||
      die "initdb failed for $data"
  fi
  local opts="-p $port -k $data -c listen_addresses=127.0.0.1 $*"
  export TRAINIA_PG_OPTS="$opts"
  $run "$PG_BIN/pg_ctl" -D "$data" -o "$opts" -l "$logf" -w -t 60 start >/dev/null ||
    { tail -20 "$logf" >&2; die "PostgreSQL did not start (log: $logf)"; }
}

# pg_stop <data dir>
pg_stop() {
  local run
  run="$(pg_user_prefix)"
  $run "$PG_BIN/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# What bench/run needs beyond TRAINIA_PACKAGES (not installed by scripts/test):
# wrk, nginx (the HTTP ceiling); pgbench comes with postgresql-15 (already listed);
# perl (pgbench script expansion), procps/util-linux (free, lscpu).
# BENCH_PERF=1 also wants linux-perf.
TRAINIA_BENCH_PACKAGES=(wrk nginx perl procps util-linux)
ensure_bench_packages() {
  ensure_packages "${TRAINIA_BENCH_PACKAGES[@]}" "$@"
}
