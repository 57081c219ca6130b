"""Section 7's measurement (benchmarks/hintless.py, benchmarks/junk.py; issue 21's "Done when"):
the figure the exit rule judges and its interval, the phases each kind gets, the server's CPU read
from /proc across worker restarts, and the junk sender's early answer. Helpers only: no server."""

import http.client
import importlib
import os
import random
import socket
import subprocess
import sys
import threading

import pytest

from benchmarks import hintless, junk


def phases(rates: list[float], cost: float) -> tuple[list[float], list[float]]:
    """Phase means of one run (off, on, off, ..., on, off) for the deliveries' rate at each phase
    when junk costs `cost` of it in the on-phases."""
    return [r * (1 - cost) for r in rates[1::2]], rates[0::2]


def test_ratio_is_all_on_seconds_over_all_off_seconds_and_a_linear_drift_does_not_widen_it():
    rates = [600 - 10 * i for i in range(31)]  # the machine slows by a third over the case
    on, off = phases(rates, 0.05)

    ratio, low, high = hintless.ratio_interval([on], [off])

    assert ratio == pytest.approx(sum(on) / len(on) / (sum(off) / len(off)))
    assert ratio == pytest.approx(0.95)
    assert (low, high) == (pytest.approx(0.95), pytest.approx(0.95))


def test_the_interval_holds_the_true_cost_and_narrows_with_more_phases():
    noisy = random.Random(21)

    def case(n_on: int) -> tuple[float, float, float]:
        rates = [(500 + 4 * i) * noisy.gauss(1, 0.06) for i in range(2 * n_on + 1)]
        return hintless.ratio_interval(*map(lambda x: [x], phases(rates, 0.05)))

    short, long = case(8), case(60)

    assert short[1] < 0.95 < short[2]
    assert long[1] < 0.95 < long[2]
    assert long[2] - long[1] < (short[2] - short[1]) / 2


def test_a_run_too_short_for_an_interval_says_so():
    ratio, low, high = hintless.ratio_interval([[90.0]], [[100.0, 100.0]])

    assert ratio == pytest.approx(0.9)
    assert low != low and high != high  # NaN: printed as such, never a made-up precision


def test_the_exit_rule_is_the_figure_and_the_interval_only_qualifies_it():
    assert hintless.verdict(0.93, 0.91, 0.95) == "met"
    assert hintless.verdict(0.91, 0.88, 0.94) == "met, interval under 0.90"
    assert hintless.verdict(0.89, 0.86, 0.92) == "MISSED, interval over 0.90"
    assert hintless.verdict(0.85, 0.82, 0.88) == "MISSED"


@pytest.fixture
def reload_hintless(monkeypatch):
    for name in [k for k in os.environ if k.startswith("BENCH_HINTLESS_")]:
        monkeypatch.delenv(name)

    def reload(**variables: str):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return importlib.reload(hintless)

    yield reload
    monkeypatch.undo()
    importlib.reload(hintless)


def test_exit_target_kinds_get_more_and_longer_phases_and_a_smoke_run_shortens_all(reload_hintless):
    module = reload_hintless()
    assert module.phase_plan("1MiB") == (15, 4)
    assert module.phase_plan("1MiB@knit-seed") == (15, 4)
    assert module.phase_plan("8KiB") == (8, 3)  # beyond the target: today's count
    assert module.case_seconds(15, 4) < 140

    module = reload_hintless(BENCH_HINTLESS_PHASES="2")
    assert module.phase_plan("1MiB") == (2, 4)
    assert module.phase_plan("256KiB@ashby") == (2, 3)


def test_the_floor_is_the_small_junk_at_a_route_that_does_not_exist_and_is_not_judged():
    """The floor kind sends what the distributed small kinds send (size, fill, every request from
    another address) to a route no view answers: it must be answered 404 and only that, and it is
    reported beside them, not in the exit status."""
    floor, small = hintless.JUNK["8KiB@404"], hintless.JUNK["8KiB"]
    assert (floor.size, floor.fill, floor.source) == (small.size, small.fill, small.source)
    assert floor.expected() == {"404"} and small.expected() == {"401", "429"}
    assert not floor.issue_target and not small.issue_target
    assert hintless.JUNK["8KiB@one"].issue_target


def burn(seconds: float) -> subprocess.Popen:
    """A child that spends `seconds` of CPU, says so on its stdout, then waits for its stdin to
    close."""
    code = (
        f"import sys, time\nwhile time.process_time() < {seconds}: pass\n"
        "print('burnt', flush=True)\nsys.stdin.read()"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def test_server_cpu_counts_the_workers_living_and_exited():
    """A worker replaced mid-phase (gunicorn's max_requests) must not take its CPU with it: the
    master's reaped children's CPU keeps it."""
    me = os.getpid()
    before = hintless.server_cpu(me)
    worker = burn(0.3)
    assert worker.stdout is not None and worker.stdout.readline() == b"burnt\n"
    living = hintless.server_cpu(me)
    worker.communicate(b"")  # it exits and is reaped

    after = hintless.server_cpu(me)

    assert worker.pid in living["pids"] and worker.pid not in after["pids"]
    assert living["workers"] - before["workers"] >= 0.25  # clock ticks: 0.01 s, sampled
    assert after["workers"] >= living["workers"]


def test_cpu_figures_leave_out_a_phase_with_a_worker_restart():
    phase = {"seconds": 3, "master": 0.0, "restart": False}
    figures = hintless.cpu_figures([
        {**phase, "on": False, "ok": 1500, "cpu": 3.0, "junk": 0},
        {**phase, "on": True, "ok": 1400, "cpu": 3.3, "junk": 150},
        {**phase, "on": False, "ok": 1500, "cpu": 3.0, "junk": 0},
        {**phase, "on": True, "ok": 1400, "cpu": 5.0, "junk": 150, "restart": True},
        {**phase, "on": False, "ok": 1500, "cpu": 3.0, "junk": 0},
    ])  # fmt: skip

    assert figures["phases_left_out"] == 1
    assert figures["cpu_s_per_1000_ok_on"] == pytest.approx(1000 * 3.3 / 1400, abs=1e-3)
    assert figures["cpu_s_per_1000_ok_off"] == pytest.approx(2.0)
    assert figures["junk_ms_delta"] == pytest.approx(1000 * (1.1 - 1.0) / 50)
    # net of the deliveries: 1.1 cores less 1400/3 2xx/s at 2 ms each, over 50 junk/s
    assert figures["junk_ms_net"] == pytest.approx(1000 * (1.1 - 1400 / 3 * 0.002) / 50, abs=0.01)


class Refuser(threading.Thread):
    """One connection: reads the request head, then answers 413 and closes unread (as the app's
    refusal from Content-Length does), or with `read_body` reads the whole body and answers 401.
    Counts the body bytes that reached it before the client closed."""

    def __init__(self, read_body: bool = False):
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.read_body, self.received = read_body, 0

    def run(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, body = data.split(b"\r\n\r\n", 1)
            length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
                         .split(b":")[1])  # fmt: skip
            while self.read_body and len(body) < length:
                body += conn.recv(65536)
            status = b"401 Unauthorized" if self.read_body else b"413 Request Entity Too Large"
            conn.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            conn.shutdown(socket.SHUT_WR)
            while chunk := conn.recv(65536):  # what the client still sends until it closes
                body += chunk
            self.received = len(body)
        self.listener.close()


@pytest.mark.parametrize("read_body", [False, True])
def test_junk_refused_from_its_length_is_sent_as_its_first_chunk_only(monkeypatch, read_body):
    monkeypatch.setattr(junk, "EARLY_ANSWER_SECONDS", 0.2)
    server = Refuser(read_body=read_body)
    server.start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    body = os.urandom(1024 * 1024)

    whole = junk.post(conn, "/ashby/webhooks", body, {"Ashby-Signature": "sha256=00"}, first_chunk=64 * 1024)
    response = conn.getresponse()
    response.read()
    conn.close()
    server.join(10)

    if read_body:  # a server that reads the body (a regression) gets all of it, and says so
        assert (response.status, whole, server.received) == (401, True, len(body))
    else:
        assert (response.status, whole) == (413, False)
        assert server.received <= 64 * 1024
