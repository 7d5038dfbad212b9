#!/bin/sh
# Entrypoint of docker/Dockerfile.postgres (runs as the postgres user).
#   serve [ARGS]   on first start (empty $PGDATA): initdb with $POSTGRES_USER / $POSTGRES_PASSWORD (required),
#                  scram-sha-256 for every TCP client, then create $POSTGRES_DB; then postgres listening on
#                  every address (the container network; publish nothing) plus ARGS. The default command.
#   healthcheck    exit 0 when the server accepts connections to $POSTGRES_DB (the image's HEALTHCHECK)
#   anything else  run it (e.g. `psql`, `sh`)
set -eu

init_cluster() {
    : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD: this PostgreSQL never runs without a password}"
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    # Local (unix socket, inside the container only) connections are trusted; TCP ones need the password.
    initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256 > /dev/null
    rm -f "$pwfile"
    printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/tmp" -w start > /dev/null
    if [ "$POSTGRES_DB" != postgres ]; then
        createdb -h /tmp -U "$POSTGRES_USER" "$POSTGRES_DB"
    fi
    pg_ctl -D "$PGDATA" -m fast -w stop > /dev/null
    echo "initialised $PGDATA: user $POSTGRES_USER, database $POSTGRES_DB" >&2
}

case "${1:-serve}" in
    serve)
        [ "$#" -gt 0 ] && shift
        [ -s "$PGDATA/PG_VERSION" ] || init_cluster
        exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql \
            -c password_encryption=scram-sha-256 "$@"
        ;;
    healthcheck)
        exec pg_isready -q -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"
        ;;
    *)
        exec "$@"
        ;;
esac
