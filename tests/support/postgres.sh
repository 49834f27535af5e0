#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite.
#
#   tests/support/postgres.sh start DIR   initialise a cluster in DIR, start it, and print
#                                         its SQLAlchemy URL (the only line on stdout)
#   tests/support/postgres.sh stop DIR    stop that server and remove DIR
#   tests/support/postgres.sh bindir      print the directory holding initdb and pg_ctl
#                                         (exit status 1 if PostgreSQL is not installed)
#
# The server listens on 127.0.0.1 only, on a free port, with trust authentication
# for the `postgres` superuser and its unix socket inside DIR. Durability is
# switched off (fsync, full_page_writes, synchronous_commit) because the data is
# thrown away anyway. Everything the server and initdb say goes to DIR/log.
#
# PostgreSQL refuses to run as root, so as root the binaries run as the
# `postgres` system user and DIR is handed over to it.
set -euo pipefail

MARKER=.taskforce-test-postgres   # only directories carrying this file are ever removed
ATTEMPTS=5                        # a "free" port can be taken before the server binds it

die() {
    echo "postgres.sh: $*" >&2
    exit 1
}

# The directory with initdb and pg_ctl: from PATH first, else the newest
# /usr/lib/postgresql/<version>/bin (Debian and Ubuntu keep them off PATH).
find_bindir() {
    local initdb dir
    if initdb=$(command -v initdb) && command -v pg_ctl >/dev/null; then
        dir=$(dirname "$(readlink -f "$initdb")")
        if [[ -x $dir/pg_ctl ]]; then
            echo "$dir"
        else
            dirname "$(readlink -f "$(command -v pg_ctl)")"
        fi
        return 0
    fi
    while IFS= read -r dir; do
        if [[ -x $dir/initdb && -x $dir/pg_ctl ]]; then
            echo "$dir"
            return 0
        fi
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
    return 1
}

# Run a PostgreSQL binary: as the postgres user when we are root, else as ourselves.
# The working directory is DIR, so the postgres user never needs to read ours.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        (cd "$DIR" && runuser -u postgres -- "$@")
    else
        (cd "$DIR" && "$@")
    fi
}

# As root, let the postgres user reach DIR: give search (x) permission on each
# parent it cannot already traverse, and nothing more.
make_reachable() {
    local path
    path=$(dirname "$DIR")
    while [[ $path != / ]]; do
        if ! runuser -u postgres -- test -x "$path"; then
            chmod o+x "$path"
        fi
        path=$(dirname "$path")
    done
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

show_log() {
    if [[ -f $DIR/log ]]; then
        echo "--- last lines of $DIR/log ---" >&2
        tail -n 30 "$DIR/log" >&2
    fi
}

start() {
    local bindir port attempt
    bindir=$(find_bindir) || die "initdb and pg_ctl not found (on PATH or under /usr/lib/postgresql/*/bin)"

    [[ -e $DIR && -n $(ls -A "$DIR") ]] && die "$DIR exists and is not empty"
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd -P)
    touch "$DIR/$MARKER" "$DIR/log"
    mkdir -p "$DIR/socket"
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' system user to run the server as"
        chown -R postgres: "$DIR"
        make_reachable
    fi

    as_owner "$bindir/initdb" --pgdata="$DIR/data" --username=postgres --auth=trust \
        --encoding=UTF8 --no-locale --no-sync >>"$DIR/log" 2>&1 ||
        { show_log; die "initdb failed"; }

    # Local connections only: the unix socket and 127.0.0.1.
    cat >"$DIR/data/pg_hba.conf" <<'EOF'
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
EOF

    for attempt in $(seq "$ATTEMPTS"); do
        port=$(free_port)
        cat >"$DIR/data/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR/socket'
max_connections = 100
fsync = off
full_page_writes = off
synchronous_commit = off
EOF
        if as_owner "$bindir/pg_ctl" --pgdata="$DIR/data" --log="$DIR/log" \
            --wait --timeout=60 start >>"$DIR/log" 2>&1; then
            echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
            return 0
        fi
        echo "postgres.sh: the server did not start on port $port (attempt $attempt)" >&2
    done
    show_log
    die "could not start PostgreSQL in $DIR"
}

stop() {
    local bindir pid
    [[ -d $DIR ]] || return 0
    [[ -f $DIR/$MARKER ]] || die "refusing to remove $DIR: it was not made by '$0 start'"
    DIR=$(cd "$DIR" && pwd -P)
    if [[ -f $DIR/data/postmaster.pid ]]; then
        bindir=$(find_bindir) || die "pg_ctl not found"
        if ! as_owner "$bindir/pg_ctl" --pgdata="$DIR/data" --mode=immediate --wait \
            stop >>"$DIR/log" 2>&1; then
            # pg_ctl could not stop it; end the postmaster we started, by its id.
            pid=$(head -n 1 "$DIR/data/postmaster.pid" 2>/dev/null || true)
            if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
    fi
    rm -rf "$DIR"
}

case "${1:-}" in
    start | stop)
        [[ $# -eq 2 && -n $2 ]] || die "usage: $0 $1 DIR"
        DIR=$2
        "$1"
        ;;
    bindir)
        find_bindir
        ;;
    *)
        die "usage: $0 start DIR | stop DIR | bindir"
        ;;
esac
