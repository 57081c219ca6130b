"""A fault-injecting fake ATS on a real socket, for the reliability proofs.

It runs in the test process (a ThreadingHTTPServer thread), so calls from threads and from
worker subprocesses all reach the same state, and it records what a vendor would observe:

- every arrival time (to check the rate limit in any one-second window, by arrival);
- every POST /results per Idempotency-Key (a duplicate write-back shows up as a count of 2);
- every call to the token endpoint, with refresh-token rotation: a refresh token works once,
  so two refreshes racing with the same token would end in invalid_grant.

Faults are injected on demand: a status (429 with or without Retry-After, 5xx, 401, 403,
400, 404), a timeout after the write was applied (the ambiguous case) or before it.
GET /results/<key> reads a write back (read-after-write / reconciler)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Fault:
    path: str  # prefix, e.g. "/results"
    kind: str = "status"  # "status" | "timeout_after_apply" | "timeout_before_apply"
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    method: str = "POST"


class _StampingServer(ThreadingHTTPServer):
    """Records each arrival when the connection is accepted (one connection per request: the
    handler speaks HTTP/1.0), before a handler thread is even started, so the busy test process
    does not add its own scheduling delay to what the limiter proof measures."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], ats: FakeATS):
        super().__init__(address, handler)
        self.ats = ats

    def process_request(self, request: Any, client_address: Any) -> None:
        self.ats.arrivals.append(time.monotonic())
        super().process_request(request, client_address)


class FakeATS:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[float] = []
        self.posts_by_key: Counter[str] = Counter()
        self.results: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.token_calls = 0
        self.refresh_token = "rt-0"
        self.valid_access_tokens: set[str] = set()
        self.require_token = False
        self.token_delay = 0.0  # seconds the token endpoint takes (lets concurrent callers pile up)
        self.ack_delay = 0.0  # seconds between applying a write and answering it
        self.timeout_sleep = 1.0  # how long a "timeout" fault keeps the client waiting
        self._server = _StampingServer(("127.0.0.1", 0), self._handler_class(), self)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeATS:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- test controls ------------------------------------------------------------------------
    def inject(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def duplicates(self) -> dict[str, int]:
        return {key: n for key, n in self.posts_by_key.items() if n > 1}

    def max_in_any_window(self, seconds: float = 1.0) -> int:
        times = sorted(self.arrivals)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= seconds:
                start += 1
            best = max(best, end - start + 1)
        return best

    # -- the server ---------------------------------------------------------------------------
    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for i, fault in enumerate(self.faults):
                if fault.method == method and path.startswith(fault.path):
                    return self.faults.pop(i)
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        ats = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): exactly the point of some tests

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _authorized(self) -> bool:
                if not ats.require_token:
                    return True
                auth = self.headers.get("Authorization", "")
                return auth.startswith("Bearer ") and auth[7:] in ats.valid_access_tokens

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                fault = ats._take_fault("GET", path)
                if fault is not None and fault.kind == "status":
                    return self._send(fault.status, fault.body or {"message": "injected"}, fault.headers)
                if not self._authorized():
                    return self._send(401, {"message": "invalid token"})
                if path == "/ping":
                    return self._send(200, {"ok": True})
                if path.startswith("/results/"):
                    key = path[len("/results/") :]
                    with ats.lock:
                        found = ats.results.get(key)
                    return self._send(200, found) if found else self._send(404, {"message": "not found"})
                return self._send(404, {"message": "no such endpoint"})

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                body = self._body()
                fault = ats._take_fault("POST", path)
                if fault is not None and fault.kind == "timeout_before_apply":
                    time.sleep(ats.timeout_sleep)
                    return self._send(504, {"message": "too late"})
                if fault is not None and fault.kind == "status":
                    return self._send(fault.status, fault.body or {"message": "injected"}, fault.headers)
                if path == "/oauth/token":
                    return self._token(body)
                if not self._authorized():
                    return self._send(401, {"message": "invalid token"})
                if path != "/results":
                    return self._send(404, {"message": "no such endpoint"})
                key = self.headers.get("Idempotency-Key", "")
                with ats.lock:
                    ats.posts_by_key[key] += 1
                    record = ats.results.setdefault(key, {"id": f"res_{len(ats.results) + 1}", "key": key})
                    record["body"] = json.loads(body or b"{}")
                if fault is not None and fault.kind == "timeout_after_apply":
                    time.sleep(ats.timeout_sleep)
                elif ats.ack_delay:
                    time.sleep(ats.ack_delay)
                return self._send(201, record)

            def _token(self, body: bytes) -> None:
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                if ats.token_delay:
                    time.sleep(ats.token_delay)
                with ats.lock:
                    ats.token_calls += 1
                    if (
                        form.get("grant_type") != "refresh_token"
                        or form.get("refresh_token") != ats.refresh_token
                    ):
                        return self._send(
                            400, {"error": "invalid_grant", "error_description": "refresh token reused"}
                        )
                    n = ats.token_calls
                    ats.refresh_token = f"rt-{n}"
                    ats.valid_access_tokens.add(f"at-{n}")
                return self._send(
                    200,
                    {
                        "access_token": f"at-{n}",
                        "refresh_token": f"rt-{n}",
                        "expires_in": 3600,
                        "token_type": "Bearer",
                        "scope": "results:write",
                    },
                )

        return Handler
