"""Stalled HTTP clients (the Thrift door's slowloris, on the HTTP door): 120 connections that send half a
request and stop must not close the door. Before: waitress' default of 100 connections was reached and
nobody else got in for two minutes (its channel timeout)."""

from __future__ import annotations

import socket
import time

import requests

from qhost.config import Settings
from qhost.server.http_server import HTTP_CHANNEL_TIMEOUT, waitress_options

from .conftest import Server

STALLED = 120


def test_requests_are_served_while_many_connections_stall(server: Server) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    socks = []
    try:
        for _ in range(STALLED):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            socks.append(sock)
        time.sleep(0.3)
        start = time.perf_counter()
        resp = requests.get(server.url + "/version", timeout=60)
        assert resp.status_code == 200
        assert time.perf_counter() - start < 20  # before: shut out for waitress' channel timeout (120 s)
    finally:
        for sock in socks:
            sock.close()


def test_waitress_bounds_come_from_settings() -> None:
    options = waitress_options(Settings(http_max_connections=1500, http_threads=3))
    assert options["connection_limit"] == 1500 and options["threads"] == 3
    assert options["channel_timeout"] == HTTP_CHANNEL_TIMEOUT <= 30
