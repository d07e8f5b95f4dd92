#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests, the demo and benchmarks.
#   test/lib/cluster.sh start DIR PORT [extra postgresql.conf lines...]
#   test/lib/cluster.sh stop DIR [mode]      (mode: fast (default) or immediate)
#   test/lib/cluster.sh restart DIR
#   eval "$(test/lib/cluster.sh env DIR PORT)"   # PGHOST, PGPORT, PGUSER for clients
# The server never runs as root: when we are root it runs as 'postgres'.
# Unix socket only (inside DIR), no TCP listener, fsync on.
set -euo pipefail
PGBIN="${PGBIN:-$(pg_config --bindir)}"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:?usage: cluster.sh start|stop|restart|env DIR [PORT]}
dir=${2:?cluster directory}
case "$cmd" in
  start)
    port=${3:?port}; shift 3
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"; mkdir -p "$dir/data" "$dir/sock"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
    chmod 700 "$dir/data"
    as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
    {
      echo "port = $port"
      echo "listen_addresses = ''"
      echo "unix_socket_directories = '$dir/sock'"
      echo "fsync = on"
      echo "max_connections = 100"
      for line in "$@"; do echo "$line"; done
    } >> "$dir/data/postgresql.conf"
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
    ;;
  stop)
    mode=${3:-fast}
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null
    fi
    ;;
  restart)
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
    ;;
  env)
    port=${3:?port}
    echo "export PGHOST='$dir/sock' PGPORT=$port PGUSER=postgres"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
