#!/bin/sh
# Entrypoint of docker/Dockerfile.redis.
#   serve [ARGS]   redis-server with AOF (appendonly yes, appendfsync everysec), no RDB, data in /data and
#                  requirepass $REDIS_PASSWORD (required), plus ARGS; the default command
#   healthcheck    exit 0 when an authenticated PING answers PONG (the image's HEALTHCHECK)
#   anything else  run it (e.g. `redis-cli`, `sh`)
# The password goes to redis-server through its configuration on stdin and to redis-cli through
# REDISCLI_AUTH, never on a command line (where `ps` would show it).
set -eu

case "${1:-serve}" in
    serve)
        [ "$#" -gt 0 ] && shift
        : "${REDIS_PASSWORD:?set REDIS_PASSWORD: this Redis never runs without a password}"
        case "$REDIS_PASSWORD" in
            *[\"\\]*) echo "REDIS_PASSWORD must not contain a double quote or a backslash" >&2; exit 2 ;;
        esac
        printf 'requirepass "%s"\n' "$REDIS_PASSWORD" | exec redis-server - \
            --bind 0.0.0.0 --port 6379 --dir /data \
            --appendonly yes --appendfsync everysec --save "" "$@"
        ;;
    healthcheck)
        [ "$(REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h 127.0.0.1 ping)" = PONG ]
        ;;
    *)
        exec "$@"
        ;;
esac
