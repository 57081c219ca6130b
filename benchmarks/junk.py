"""Junk on the seeds' hint-less webhook route, at a fixed rate, from a separate process (section 7).

    python -m benchmarks.junk '{"url": "http://127.0.0.1:8765/ashby/webhooks", "rate": 50, "bytes": 1048576, "seconds": 8}'

Each request: a body of the given size, a random `Ashby-Signature`, and a random
`X-Forwarded-For` address (the bench server trusts one proxy: every request looks like another
client, the worst case for per-address budgets). The body is random bytes, or with
`"fill": "brackets"` `[][][]…` pairs: many brackets and never deep, the costliest input for a JSON
depth scan (random bytes are the cheapest). `{uuid}` in the URL is a fresh random integration id
per request (a made-up hint: every one misses the server's integration cache). Threads with
keep-alive connections share the rate; prints `@@{"sent": …, "statuses": {…}, "rate": …}` at the
end."""

from __future__ import annotations

import http.client
import json
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit


def main(  # noqa: A002
    url: str, rate: float, bytes: int, seconds: float, threads: int = 8, fill: str = "random"
) -> None:
    parts = urlsplit(url)
    # One body, sent again and again (generating it is not the point).
    blob = b"[]" * (bytes // 2) if fill == "brackets" else os.urandom(bytes)
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    interval = threads / rate

    def run(k: int) -> None:
        conn: http.client.HTTPConnection | None = None
        next_at = time.monotonic() + k * interval / threads
        while True:
            now = time.monotonic()
            if now >= stop:
                break
            if next_at > now:
                time.sleep(next_at - now)
            next_at += interval
            headers = {
                "Content-Type": "application/json",
                "Ashby-Signature": "sha256=" + os.urandom(32).hex(),
                "X-Forwarded-For": f"{random.randint(1, 223)}.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}",  # noqa: S311
            }
            try:
                conn = conn or http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                path = parts.path.replace("%7Buuid%7D", "{uuid}").replace("{uuid}", str(uuid.uuid4()))
                conn.request("POST", path, body=blob, headers=headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except OSError as exc:
                status = type(exc).__name__
                if conn is not None:
                    conn.close()
                conn = None
            with lock:
                statuses[status] += 1

    started = time.monotonic()
    workers = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    sent = sum(statuses.values())
    print(
        "@@"
        + json.dumps(
            {"sent": sent, "statuses": dict(statuses), "rate": round(sent / (time.monotonic() - started), 1)}
        )
    )


if __name__ == "__main__":
    main(**json.loads(sys.argv[1]))
