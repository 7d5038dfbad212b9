#!/bin/sh
# podman with the flags CI needs (runc, cgroupfs, docker/containers.conf without default_ulimits), for
# tools that take a podman path:  podman-compose --podman-path scripts/podman-ci.sh -f docker/compose.yaml up -d
# (plain podman-compose on this kind of host fails with a runc rlimit error).
exec "$(cd "$(dirname "$0")" && pwd)/container_build.sh" podman "$@"
