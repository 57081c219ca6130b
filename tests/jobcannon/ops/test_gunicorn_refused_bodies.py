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
def server(tmp_path_factory):
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
        yield int(base.rsplit(":", 1)[1])


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
