"""SRD /docs/rate-limiting: 10 requests/second and 8 concurrent requests per credential, 1 for
GET /candidates. The concurrency limit holds across processes (integrations/services/concurrency.py,
on the rate limiter's backend: the SQLite file by default, Redis when REDIS_URL is set)."""

import multiprocessing
import time

import pytest
import responses

from integrations.base import LocalRateLimited
from integrations.providers.smartrecruiters import constants
from integrations.registry import get_provider
from integrations.services.concurrency import concurrency_slots
from integrations.services.ratelimit import rate_limit_for
from tests.factories import IntegrationFactory

from .test_contract import API, give_token

HOLD_SECONDS = 1.5


def _backends(settings) -> list[str]:
    return ["sqlite", "redis"] if settings.REDIS_URL else ["sqlite"]


def _take_and_hold(integration, start, ready, in_flight, peak, refused, lock) -> None:
    from integrations.services.concurrency import _backend

    provider = get_provider("smartrecruiters")
    _backend()  # open this process's connection to the shared slots before the start signal
    with lock:
        ready.value += 1
    start.wait()
    try:
        limits = provider.concurrency_limits(integration, "GET", "/jobs")
        with concurrency_slots(provider=provider, integration=integration, limits=limits):
            with lock:
                in_flight.value += 1
                peak.value = max(peak.value, in_flight.value)
            time.sleep(HOLD_SECONDS)
            with lock:
                in_flight.value -= 1
    except LocalRateLimited:
        with lock:
            refused.value += 1


@pytest.mark.django_db
@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_no_more_than_8_calls_are_in_flight_across_12_processes(settings, backend, tmp_path):
    if backend not in _backends(settings):
        pytest.skip("REDIS_URL is not set")
    settings.RATE_LIMIT_BACKEND = backend
    settings.RATE_LIMIT_SQLITE_PATH = str(tmp_path / "ratelimit.sqlite3")
    settings.RATE_LIMIT_NAMESPACE = f"sr-concurrency-{tmp_path.name}"
    settings.CONCURRENCY_WAIT_SECONDS = 0.1  # well under HOLD_SECONDS: the 9th and later give up
    integration = IntegrationFactory(provider="smartrecruiters")
    ctx = multiprocessing.get_context("fork")
    start, lock = ctx.Event(), ctx.Lock()
    ready, in_flight = ctx.Value("i", 0), ctx.Value("i", 0)
    peak, refused = ctx.Value("i", 0), ctx.Value("i", 0)
    procs = [
        ctx.Process(target=_take_and_hold, args=(integration, start, ready, in_flight, peak, refused, lock))
        for _ in range(12)
    ]
    for proc in procs:
        proc.start()
    deadline = time.monotonic() + 30
    while ready.value < len(procs) and time.monotonic() < deadline:
        time.sleep(0.02)  # every process has its connection and waits on the start signal
    start.set()
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    assert peak.value == 8, f"{peak.value} calls were in flight at once (SR allows 8)"
    assert refused.value >= 1, "the limit bound: later callers were refused, not admitted"
    # The slots were given back: the next call gets one at once.
    provider = get_provider("smartrecruiters")
    with concurrency_slots(provider=provider, integration=integration, limits=[("all", 8)]):
        pass


@pytest.mark.django_db
def test_a_second_candidate_list_waits_for_the_first_then_is_refused(settings, tmp_path):
    settings.RATE_LIMIT_SQLITE_PATH = str(tmp_path / "ratelimit.sqlite3")
    settings.CONCURRENCY_WAIT_SECONDS = 0.05
    provider = get_provider("smartrecruiters")
    integration = IntegrationFactory(provider="smartrecruiters")
    lists = provider.concurrency_limits(integration, "GET", "/candidates")
    jobs = provider.concurrency_limits(integration, "GET", "/jobs")
    with concurrency_slots(provider=provider, integration=integration, limits=lists):
        with pytest.raises(LocalRateLimited) as refused:
            with concurrency_slots(provider=provider, integration=integration, limits=lists):
                pass
        assert "1 concurrent request(s) (candidates.list)" in refused.value.message
        with concurrency_slots(provider=provider, integration=integration, limits=jobs):
            pass  # other endpoints still have 7 slots
    with concurrency_slots(provider=provider, integration=integration, limits=lists):
        pass  # given back on exit


@pytest.mark.django_db
def test_client_calls_hold_a_slot_and_give_it_back_even_when_the_call_fails(settings, tmp_path):
    settings.RATE_LIMIT_SQLITE_PATH = str(tmp_path / "ratelimit.sqlite3")
    settings.CONCURRENCY_WAIT_SECONDS = 0.05
    integration = IntegrationFactory(provider="smartrecruiters", auth_kind="oauth2", status="connected")
    give_token(integration)
    provider = get_provider("smartrecruiters")
    client = provider.client(integration)
    seen: list[int] = []

    def candidates(request):
        # While SR answers, the one GET /candidates slot is held: a second list is refused.
        try:
            with concurrency_slots(
                provider=provider,
                integration=integration,
                limits=provider.concurrency_limits(integration, "GET", "/candidates"),
            ):
                seen.append(0)
        except LocalRateLimited:
            seen.append(1)
        return (503, {}, '{"code": "UNAVAILABLE", "message": "down"}')

    with responses.RequestsMock() as rsps:
        rsps.add_callback("GET", API + "/candidates", callback=candidates)
        with pytest.raises(Exception):
            client.candidates(job_id="job-1")
    assert seen == [1], "the call held the candidates.list slot while in flight"
    with concurrency_slots(
        provider=provider,
        integration=integration,
        limits=provider.concurrency_limits(integration, "GET", "/candidates"),
    ):
        pass  # and gave it back after the 503


@pytest.mark.django_db
def test_the_rate_is_srs_10_per_second():
    limit = rate_limit_for(
        provider=get_provider("smartrecruiters"), integration=IntegrationFactory(provider="smartrecruiters")
    )
    assert (limit.per_second, limit.burst) == (10, 10)


@pytest.mark.django_db
def test_the_sandbox_answers_429_to_a_ninth_concurrent_request(client_in_workspace, sr_sim):
    from integrations.base import ATSRateLimited
    from integrations.providers.smartrecruiters import simulator_state as sim

    from .helpers import connect_via_simulator

    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    company_id = integration.demo["company_id"]
    client = get_provider("smartrecruiters").client(integration)
    for _ in range(8):  # eight requests of another worker are in flight at SR
        assert sim.concurrency_enter(company_id)
    try:
        with pytest.raises(ATSRateLimited) as refused:
            client.company()
        assert refused.value.status_code == 429 and "concurrent" in refused.value.message
    finally:
        for _ in range(8):
            sim.concurrency_exit(company_id)
    assert client.company().id == company_id


@pytest.mark.django_db
def test_the_sandbox_answers_429_to_a_second_concurrent_candidate_list(client_in_workspace, sr_sim):
    """SRD /docs/rate-limiting: GET /candidates allows 1 concurrent request; other endpoints
    keep their 8."""
    from integrations.base import ATSRateLimited
    from integrations.providers.smartrecruiters import simulator_state as sim

    from .helpers import connect_via_simulator

    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    company_id = integration.demo["company_id"]
    job_id = sim.jobs(company_id)[0]["id"]
    client = get_provider("smartrecruiters").client(integration)
    assert sim.concurrency_enter(company_id, "candidates.list", 1)  # another worker's list is in flight at SR
    try:
        with pytest.raises(ATSRateLimited) as refused:
            client.candidates(job_id=job_id)
        assert refused.value.status_code == 429 and "1 concurrent" in refused.value.message
        assert client.jobs(), "the other endpoints still answer"
    finally:
        sim.concurrency_exit(company_id, "candidates.list")
    assert isinstance(client.candidates(job_id=job_id), list)


@pytest.mark.django_db
def test_every_integrations_partner_calls_share_the_master_credentials_limit(partner):
    """SRD /docs/rate-limiting counts per credential: the partner (master) credential is one for
    every customer, so customer B's partner call waits for the calls customer A's made, while
    B's own customer credential keeps its own 10 per second."""
    from integrations.services.ratelimit import rate_limit_acquire

    provider, a, b = partner
    partner_a, partner_b = provider.partner_client(a), provider.partner_client(b)
    assert partner_a.rate_limit_account == partner_b.rate_limit_account == "partner:jobcannon-master"
    for _ in range(constants.RATE_LIMIT_BURST):  # customer A's partner calls spend the whole second
        rate_limit_acquire(integration=a, provider=provider, account=partner_a.rate_limit_account)
    with responses.RequestsMock() as rsps:  # nothing registered for the partner: it must not be sent
        with pytest.raises(LocalRateLimited):
            partner_b.integration_setup(company_id="co-b", body={})
        rsps.add("GET", API + "/jobs", json={"content": [], "totalFound": 0})
        provider.client(b).request("GET", "/jobs", operation="jobs.list")  # B's own bucket is untouched


@pytest.mark.django_db
def test_25_calls_at_srs_real_limit_reach_the_sandbox_at_most_10_a_second_and_none_gets_429(
    client_in_workspace, sr_sim, monkeypatch
):
    """SRD /docs/rate-limiting: 10 requests/second. The sandbox counts arrivals in a sliding
    second and answers 429 above SR's 10 (simulator_state.rate_limited); our client, at SR's real
    limit (the conftest's roomy limit off), must keep every second of arrivals at 10 or fewer.
    With a worker's patience (rate_limit_patience) a refused acquisition waits for a slot instead
    of raising LocalRateLimited, so all 25 calls go out: in about 2.2 s, on the real clock (the
    sliding-window limiter has no fake clock)."""
    from integrations.models import Integration
    from integrations.providers.smartrecruiters import simulator_state as sim
    from integrations.services.ratelimit import rate_limit_patience

    from .helpers import connect_via_simulator

    arrivals: list[tuple[float, bool]] = []  # (when, answered 429) of every call the sandbox counted
    counted = sim.rate_limited

    def counting(company):
        refused = counted(company)
        arrivals.append((time.monotonic(), refused))
        return refused

    monkeypatch.setattr(sim, "rate_limited", counting)
    integration = sr_sim(real_rate_limit=True)
    company_id = integration.demo["company_id"]
    assert sim.get("company", company_id)["rate_limit"] == constants.RATE_LIMIT_PER_SECOND == 10
    connect_via_simulator(client_in_workspace, integration)  # its calls count in the same seconds
    client = get_provider("smartrecruiters").client(Integration.objects.get(pk=integration.pk))
    before = len(arrivals)

    with rate_limit_patience(5.0):
        answers = [client.company() for _ in range(25)]

    assert [a.id for a in answers] == [company_id] * 25
    assert len(arrivals) - before == 25, "each call reached the sandbox once (no retried 429)"
    assert not [when for when, refused in arrivals if refused], "the sandbox answered 429"
    times = [when for when, _ in arrivals]
    busiest = max(sum(1 for other in times if start <= other < start + 1.0) for start in times)
    assert busiest <= 10, f"{busiest} calls reached SR within one second (SR allows 10)"
    ours = times[before:]
    assert 2.0 <= ours[-1] - ours[0] < 4.0, "25 calls at 10 a second take just over 2 s"
