"""A webhook body refused from its Content-Length (413) is never read: on the real server the
answer says `Connection: close` and the connection closes at once, instead of gunicorn reading
and discarding up to 64 KiB of junk per request to keep the connection alive (issue 21: the cost
of hint-less junk at the seeds' route, benchmarks section 7). A delivery the server accepts, or
refuses after reading it, keeps its connection."""

import os
import socket
import subprocess
import sys
import time

import pytest

from tests.servers import ROOT, gunicorn_serving

pytestmark = pytest.mark.smoke


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("refused-bodies")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jobcannon.settings.test",
        "WEB_CONCURRENCY": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "SQLITE_PATH": str(tmp_path / "smoke.sqlite3"),
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    with gunicorn_serving(env, tmp_path / "gunicorn.log") as base:
        yield int(base.rsplit(":", 1)[1]), tmp_path / "gunicorn.log"


@pytest.fixture(scope="module")
def server(served):
    return served[0]


def post_headers(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def read_answer(sock: socket.socket) -> tuple[bytes, bool]:
    """The answer's head and whether the server closed the connection within 2 s of it."""
    sock.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].lower()
    sock.settimeout(2)
    started = time.monotonic()
    try:
        while sock.recv(65536):
            pass
        closed = True
    except ConnectionResetError:
        closed = True
    except TimeoutError:
        closed = False
    return head, closed and time.monotonic() - started < 2


def test_an_oversized_hintless_body_is_answered_413_and_its_connection_closed_unread(server):
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(post_headers("/ashby/webhooks", 1024 * 1024))
        sock.sendall(b"x" * 16 * 1024)  # a start of the body; the rest is never sent
        head, closed = read_answer(sock)
    assert head.startswith(b"http/1.1 413")
    assert b"connection: close" in head
    # Before: `connection: keep-alive`, and the worker sat reading for the 64 KiB it drains.
    assert closed


def test_a_body_within_the_limit_keeps_its_connection(server):
    body = b'{"action": "ping"}'
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(post_headers("/ashby/webhooks", len(body)) + body)
        head, closed = read_answer(sock)
    assert not head.startswith(b"http/1.1 413") and not head.startswith(b"http/1.1 5")
    assert b"connection: close" not in head
    assert not closed


def chunked_headers(path: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()


@pytest.mark.parametrize("path", ["/ashby/webhooks", "/partners/smartrecruiters/oauth/token"])
def test_a_chunked_body_is_refused_411_and_its_connection_closed_unread(server, path):
    """Django reads a body without Content-Length as empty: a chunked 1 MiB POST to the seed route
    was accepted whole and answered 401 "not a JSON object" with keep-alive (the audit of issue 21),
    and a chunked delivery from an ATS would have been rejected as an empty body. Now 411 from
    the request's headers, the connection closed while the body is still being sent."""
    chunk = b"x" * 64 * 1024
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(chunked_headers(path))
        sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")  # 1 of 16: the rest never sent
        head, closed = read_answer(sock)
    assert head.startswith(b"http/1.1 411")
    assert b"connection: close" in head
    assert closed, "the server did not wait for (or read) the rest of the body"


def test_a_refusal_before_django_carries_the_guards_headers_and_body(server, served):
    """The seed route's 413 is answered before Django (integrations/services/prewsgi.py): the same
    JSON error, the security headers and a request id, as the guard sent it; no request log line
    for it, the per-second summary instead."""
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(post_headers("/ashby/webhooks", 1024 * 1024))
        sock.settimeout(5)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    head = head.lower()
    assert head.startswith(b"http/1.1 413") and b"connection: close" in head
    assert b"x-content-type-options: nosniff" in head and b"x-request-id: " in head
    assert b"content-type: application/json" in head
    if b"transfer-encoding: chunked" in head:  # gunicorn frames a body without Content-Length
        body = b"".join(body.split(b"\r\n")[1::2])
    assert b'"code": "payload_too_large"' in body and b"own webhook URL" in body
    log = served[1].read_text()
    assert "http.refused_before_django" in log
    assert not [line for line in log.splitlines() if "http.request" in line and "status=413" in line]
