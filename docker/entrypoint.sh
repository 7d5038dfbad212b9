#!/bin/sh
# Entrypoint of the qhost images.
#   serve [FLAGS]   qhost serve with the image's environment (QHOST_HOST, QHOST_PORT, QHOST_DATA_DIR,
#                   QHOST_THRIFT_PORT, QHOST_QRISP_PORTS ...) plus FLAGS; the default command
#   healthcheck     exit 0 when GET http://127.0.0.1:$QHOST_PORT/ answers 200 (the image's HEALTHCHECK)
#   anything else   run it (e.g. `qhost backends`, `sh`)
set -eu

case "${1:-serve}" in
    serve)
        [ "$#" -gt 0 ] && shift
        exec qhost serve "$@"
        ;;
    healthcheck)
        exec python3 - <<'PY'
import os
import sys
import urllib.request

url = "http://127.0.0.1:%s/" % os.environ.get("QHOST_PORT", "8000")
try:
    with urllib.request.urlopen(url, timeout=4) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:
    print("unhealthy: %s: %s" % (url, exc), file=sys.stderr)
    sys.exit(1)
PY
        ;;
    *)
        exec "$@"
        ;;
esac
