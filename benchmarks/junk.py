"""Junk on the webhook routes, at a fixed rate, from a separate process (section 7); also the
section's "fresh senders": signed deliveries, each from a new client address.

    python -m benchmarks.junk '{"url": "http://127.0.0.1:8765/ashby/webhooks", "rate": 50, "bytes": 1048576, "seconds": 8}'

Junk: each request a body of the given size, a random signature (`Ashby-Signature: sha256=<hex>`,
or with `"signature": "knit"` a random base64url `X-Knit-Signature`), and a random
`X-Forwarded-For` address (the bench server trusts one proxy: every request looks like another
client, the worst case for per-address budgets; never in 10.0.0.0/8, the fresh senders' range);
or, with `"address"`, every request from that one address with a random `Authorization` header
too: one machine rotating its headers, the attacker issue 21 reproduced ("600 requests with random
headers got no 429").
The body (`"fill"`) is random bytes; `"brackets"`, `[][][]…` pairs (many brackets and never deep,
the costliest input for a JSON depth scan); or `"json"`, valid JSON records (what a JSON parse
before verification costs most on: Knit re-parses a body that does not verify as sent). `{uuid}`
in the URL is a fresh random integration id per request (a made-up hint).

Fresh senders (`"fill": "signed"`, with `"secret"`): each request a new Ashby event
(tests/fixtures/ashby/webhooks/applicationSubmit.json with fresh ids, as benchmarks/common.py
writes them for wrk), signed with the secret as Ashby signs, from an address no request of the
run used before (10.x.y.z counted up from `"address_base"`).

With `"windows": [[start, end], ...]` (epoch seconds) it sends only inside those windows, at the
rate, and stops after the last one; section 7 turns the junk on and off that way while the signed
deliveries flow. The result counts the answers per second too (`by_second`, keyed on the whole
epoch second the request was sent in).

With `"first_chunk": N` (section 7 sets it, 64 KiB, for the kinds the server refuses from their
Content-Length), a body longer than N is sent as its headers and its first N bytes; the rest is
sent only if no answer came within EARLY_ANSWER_SECONDS. The server's refusal reads nothing past
the headers, so the bytes after the first chunk were never more than what its kernel takes in
before it closes (an attacker's packets after that are refused by the kernel): sending them from
this process only spent these two cores on this process, not the server's work. A server that does
read the body (a regression) still gets all of it, and its answer (not 413) fails the section's
check of the junk's answers. Junk within N bytes is sent whole, as before.

Threads with keep-alive connections share the rate. Prints at the end `@@{"sent": …, "statuses":
{…}, "rate": …, "by_second": {…}, "cpu_seconds": …, "cpu_seconds_sending": …}`. A status is the
HTTP status, `cut` when the connection broke while the body was being sent and no answer could be
read (the server refused from Content-Length and closed), or the name of another error. Stops
`seconds` after it started, or at `until` (epoch) when given."""

from __future__ import annotations

import base64
import builtins
import hashlib
import hmac
import http.client
import itertools
import json
import os
import random
import resource
import select
import sys
import threading
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from benchmarks.common import _FIXTURE, _unique


def _json_junk(size: int) -> bytes:
    """Valid JSON of `size` bytes: a list of small records (floats, nested lists, integer-like
    keys: what Knit's re-serialisation normalises), padded with spaces."""
    records, n, total = [], 0, 40
    while True:
        record = json.dumps(
            {"1": n, "id": f"rec_{n:07d}", "name": "Robin Sample", "score": 1.0, "tags": ["a", [n, 2.5]]},
            separators=(",", ":"),
        )
        if total + len(record) + 1 > size:
            break
        records.append(record)
        total += len(record) + 1
        n += 1
    body = ('{"eventType":"record.new","eventData":[' + ",".join(records) + "]}").encode()
    return body + b" " * (size - len(body))


IDLE_SECONDS = 2.0  # a keep-alive connection idle longer than this is not reused
# How long a sender with "first_chunk" waits for an answer after the headers and the first chunk
# before it sends the rest (a refusal from Content-Length answers within milliseconds).
EARLY_ANSWER_SECONDS = 1.0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def post(
    conn: http.client.HTTPConnection,
    path: str,
    body: builtins.bytes,
    headers: dict[str, str],
    first_chunk: int = 0,
) -> bool:
    """Send a POST of `body` (read the answer with conn.getresponse()); with `first_chunk` and a
    longer body, the headers and the first chunk only, then the rest only if no answer came within
    EARLY_ANSWER_SECONDS. Returns whether the whole body was sent (if not, the connection cannot be
    reused: close it once the answer is read)."""
    if not first_chunk or len(body) <= first_chunk:
        conn.request("POST", path, body=body, headers=headers)
        return True
    # http.client's request() in steps (https://docs.python.org/3/library/http.client.html:
    # putrequest, putheader, endheaders(message_body)): request() would send the whole body
    # before reading anything.
    conn.putrequest("POST", path)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(message_body=body[:first_chunk])
    answered, _, _ = select.select([conn.sock], [], [], EARLY_ANSWER_SECONDS)
    if not answered:
        conn.send(body[first_chunk:])
    return not answered


def _random_address() -> str:
    first = random.choice([o for o in range(1, 224) if o != 10])  # noqa: S311 - not a secret
    return f"{first}.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"  # noqa: S311


def main(  # noqa: A002, C901, PLR0913, PLR0915
    url: str,
    rate: float,
    bytes: int = 0,
    seconds: float = 0,
    threads: int = 8,
    fill: str = "random",
    signature: str = "ashby",
    secret: str = "",
    address_base: int = 0,
    until: float = 0,
    windows: list[list[float]] | None = None,
    address: str = "",
    first_chunk: int = 0,
) -> None:
    parts = urlsplit(url)
    # Junk: one body, sent again and again (generating it is not the point).
    if fill == "brackets":
        blob = b"[]" * (bytes // 2)
    elif fill == "json":
        blob = _json_junk(bytes)
    elif fill == "random":
        blob = os.urandom(bytes)
    else:
        blob = b""
    template: dict[str, Any] = json.loads(_FIXTURE.read_text()) if fill == "signed" else {}
    addresses = itertools.count(address_base)
    statuses: Counter[str] = Counter()
    by_second: dict[int, Counter[str]] = {}
    lock = threading.Lock()
    started = time.monotonic()
    if windows:  # monotonic times for the epoch windows
        offset = started - time.time()
        windows = [[a + offset, b + offset] for a, b in windows]
        until = 0
        seconds = windows[-1][1] - started
    stop = started + (until - time.time() if until else seconds)
    interval = threads / rate

    def request() -> tuple[builtins.bytes, dict[str, str]]:
        headers = {"Content-Type": "application/json"}
        if fill == "signed":
            with lock:
                k = next(addresses)
            body = _unique(template, address_base + 10**6 + k)
            headers["Ashby-Signature"] = (
                "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            )
            headers["X-Forwarded-For"] = f"10.{k >> 16 & 255}.{k >> 8 & 255}.{k & 255}"
            return body, headers
        if signature == "knit":
            headers["X-Knit-Signature"] = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
        else:
            headers["Ashby-Signature"] = "sha256=" + os.urandom(32).hex()
        if address:  # one sender rotating its headers (issue 21's "random headers")
            headers["Authorization"] = "Bearer " + os.urandom(16).hex()
            headers["X-Forwarded-For"] = address
        else:
            headers["X-Forwarded-For"] = _random_address()
        return blob, headers

    def schedule(k: int):
        """Thread k's send times: every `interval` from its offset, inside the windows (or until
        the stop). A time already past is sent at once."""
        spans = windows or [[time.monotonic(), stop]]
        for a, b in spans:
            at = a + k * interval / threads
            while at < min(b, stop):
                yield at, min(b, stop)
                at += interval

    def run(k: int) -> None:
        conn: http.client.HTTPConnection | None = None
        last_used = 0.0
        for next_at, window_end in schedule(k):
            now = time.monotonic()
            if now >= stop:  # nothing is sent after the stop
                break
            if now >= window_end:  # late (a slow answer): nothing is sent outside a window
                continue
            if next_at > now:
                time.sleep(next_at - now)
            if conn is not None and time.monotonic() - last_used > IDLE_SECONDS:
                # Between windows the connection idled: gunicorn may be closing it (keepalive 5 s),
                # and a request written into that close reads as "cut". A client opens a new one.
                conn.close()
                conn = None
            last_used = time.monotonic()
            sent_second = int(time.time())
            body, headers = request()
            path = parts.path.replace("%7Buuid%7D", "{uuid}").replace("{uuid}", str(uuid.uuid4()))
            written = False
            try:
                conn = conn or http.client.HTTPConnection(
                    parts.hostname or "127.0.0.1", parts.port, timeout=30
                )
                whole = True
                try:
                    whole = post(conn, path, body, headers, first_chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # refused before the body was read: the answer may still be readable
                written = True
                response = conn.getresponse()
                response.read()
                status = str(response.status)
                if not whole or response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                # RemoteDisconnected (no answer at all) is a ConnectionResetError.
                cut = written and isinstance(exc, BrokenPipeError | ConnectionResetError)
                status = "cut" if cut else type(exc).__name__
                if conn is not None:
                    conn.close()
                conn = None
            with lock:
                statuses[status] += 1
                by_second.setdefault(sent_second, Counter())[status] += 1

    workers = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    cpu_ready = _cpu_seconds()  # start-up, imports and the body made: not the sending
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    sent = sum(statuses.values())
    # The rate it sent at: every request counted was sent inside [started, stop) (its answer may
    # come later: a slow answer must not read as junk that was not sent).
    elapsed = sum(b - a for a, b in windows) if windows else stop - started
    cpu = _cpu_seconds()
    print(
        "@@"
        + json.dumps(
            {
                "sent": sent,
                "statuses": dict(statuses),
                "rate": round(sent / elapsed, 1) if elapsed else 0,
                "by_second": {str(t): dict(c) for t, c in sorted(by_second.items())},
                # What making and sending it cost on these cores (Python's start-up included):
                # section 7 prints it, since real junk is made on other machines.
                "cpu_seconds": round(cpu, 3),
                # The sending alone (section 7's "gen ms/junk"): what junk made elsewhere would
                # not cost these cores.
                "cpu_seconds_sending": round(cpu - cpu_ready, 3),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(**json.loads(sys.argv[1]))
