"""The Django side of the benchmarks: seeding through the app's own services, in-process query
counts, queue round trips, the purge. Run as `python -m benchmarks.djside <function> '<json kwargs>'`
(benchmarks/common.py's django_call); the result is printed as one `@@<json>` line."""

from __future__ import annotations

import json
import re
import sys
import time
from typing import Any

import django

BENCH_PASSWORD = "bench-password-1"  # noqa: S105 - a local benchmark account


def _workspace(name: str, username: str):
    from django.contrib.auth import get_user_model

    from jobcannon.workspaces.services import workspace_create

    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password=BENCH_PASSWORD
    )
    return user, workspace_create(owner=user, name=name)


def _connected_ashby(workspace, **settings_: Any):
    """A connected Ashby sandbox integration wired to the built-in simulator (demo_setup registers
    its API key there, no HTTP): whatever the app calls in Ashby lands on this server."""
    from integrations.registry import get_provider, get_providers
    from integrations.services.integrations import integration_create

    if "ashby" not in get_providers():
        raise SystemExit("Ashby is not in ATS_PROVIDERS: the benchmarks measure the Ashby provider.")
    integration = integration_create(
        workspace=workspace, provider="ashby", environment="sandbox", auth_kind="api_key",
        provider_settings={"use_simulator": True, **settings_},
    )  # fmt: skip
    setup = get_provider("ashby").demo_setup(integration)
    integration.refresh_from_db()
    integration.status = "connected"
    integration.save(update_fields=["status"])
    integration.simulator_account = setup.get("simulator_account", "")  # type: ignore[attr-defined]
    return integration


def seed_intake() -> dict[str, Any]:
    """A workspace with a connected production Ashby integration; its newest webhook secret."""
    _, ws = _workspace("Bench Co", "bench")
    i = _connected_ashby(ws)
    return {"provider": i.provider, "public_id": str(i.public_id), "id": i.pk, "workspace": ws.pk,
            "secret": i.secrets_for_verification()[0]}  # fmt: skip


def seed_hintless(n: int = 50) -> dict[str, Any]:
    """n Ashby integrations in n workspaces (the candidates of the seeds' hint-less route), the
    measured one created last, so it is the last candidate tried (candidates go oldest first,
    integration_list_for_hintless_webhook), connected to the simulator: its public id, webhook
    secret and place among the candidates. Plus a connected Knit integration (another workspace),
    the target of junk to a real integration's own URL: its public id."""
    from integrations.models import IntegrationStatus
    from integrations.selectors import integration_list_for_hintless_webhook
    from integrations.services.integrations import integration_create
    from jobcannon.workspaces.services import workspace_create

    user, ws = _workspace("Bench Co", "bench")
    for k in range(1, n):
        other = workspace_create(owner=user, name=f"Bench Co {k}")
        integration_create(workspace=other, provider="ashby", environment="sandbox", auth_kind="api_key")
    known = _connected_ashby(ws)
    candidates, _ = integration_list_for_hintless_webhook(provider_key="ashby", limit=n)
    # Knit verifies with its webhook secrets (knit_verification_keys): no simulator account needed.
    knit = integration_create(
        workspace=workspace_create(owner=user, name="Bench Knit Co"),
        provider="knit",
        environment="sandbox",
        auth_kind="api_key",
    )
    knit.status = IntegrationStatus.CONNECTED
    knit.save(update_fields=["status"])
    return {"provider": known.provider, "public_id": str(known.public_id), "id": known.pk,
            "secret": known.secrets_for_verification()[0], "integrations": n,
            "candidate_position": [c.pk for c in candidates].index(known.pk) + 1 if known in candidates else 0,
            "candidates": len(candidates), "knit_public_id": str(knit.public_id)}  # fmt: skip


def intake_statements(integration: dict[str, Any]) -> dict[str, Any]:
    """SQL statements for one signed delivery, counted in-process on the same database."""
    import hashlib
    import hmac

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.common import _FIXTURE, _unique

    template = json.loads(_FIXTURE.read_text())
    client = Client()
    url = f"/webhooks/ashby/{integration['public_id']}/"

    def post(i: int):
        body = _unique(template, 900_000 + i)
        sig = "sha256=" + hmac.new(integration["secret"].encode(), body, hashlib.sha256).hexdigest()
        return client.post(url, data=body, content_type="application/json", headers={"Ashby-Signature": sig})

    post(0)  # warm up (integration cache, connection)
    with CaptureQueriesContext(connection) as ctx:
        response = post(1)
    sqls = [q["sql"] for q in ctx.captured_queries]
    return {"status": response.status_code, "statements": len(sqls), "sql": [s[:100] for s in sqls]}


def noop() -> str:
    return "ok"


def mark(token: str) -> None:
    """A task that leaves a trace in the cache (results may not be saved: Q_CLUSTER save_limit)."""
    from django.core.cache import cache

    cache.set(f"bench:mark:{token}", 1, 600)


def _wait_mark(token: str, started: float, timeout: float) -> None:
    from django.core.cache import cache

    while cache.get(f"bench:mark:{token}") is None:
        if time.monotonic() - started > timeout:
            raise SystemExit("the django-q2 cluster did not run the task within the timeout")
        time.sleep(0.05)


def queue_roundtrip(timeout: float = 60) -> float:
    """Put a task on the queue and wait until a worker has run it (the cluster is consuming)."""
    import uuid

    from jobcannon.core.queue import enqueue

    started = time.monotonic()
    token = uuid.uuid4().hex
    enqueue("benchmarks.djside.mark", token)
    _wait_mark(token, started, timeout)
    return round(time.monotonic() - started, 2)


def queue_throughput(n: int) -> dict[str, Any]:
    """The queue's own ceiling, same broker and cluster: n no-op tasks enqueued back to back,
    then a sentinel; tasks/s from the first enqueue until the sentinel has run."""
    import uuid

    from jobcannon.core.queue import enqueue

    started = time.monotonic()
    for _ in range(n):
        enqueue("benchmarks.djside.noop")
    enqueued = time.monotonic() - started
    token = uuid.uuid4().hex
    enqueue("benchmarks.djside.mark", token)
    _wait_mark(token, started, 120)
    elapsed = time.monotonic() - started
    return {"tasks": n, "seconds": round(elapsed, 2), "tasks_per_second": round((n + 1) / elapsed, 1),
            "enqueue_seconds": round(enqueued, 2)}  # fmt: skip


def seed_sandbox_runs(runs: int, instrument: str = "big5") -> dict[str, Any]:
    """An Ashby sandbox integration wired to the built-in simulator (demo_setup: API key and
    partner key registered in the simulated account, no HTTP), and `runs` assessment orders
    created through assessments.services.runs as Ashby's assessment.start creates them, each
    with the simulator's record of the order (what assessment.update writes to)."""
    import uuid

    from assessments.catalog import instrument_get
    from assessments.selectors import candidate_key_for
    from assessments.services.runs import ATSRefs, CandidateInfo, assessment_run_create
    from integrations.providers.ashby import simulator_state as state
    from integrations.providers.ashby.simulator_support import assessment_record

    _, ws = _workspace("Bench Sandbox Co", "bench-sandbox")
    integration = _connected_ashby(ws)
    account = state.account_get(integration.simulator_account)
    definition = instrument_get(instrument)
    out = []
    for n in range(runs):
        candidate = state.candidate_create(
            account.key,
            first_name="Robin",
            last_name=f"Sample{n}",
            email=f"robin.sample{n}@example.com",
            job_name="Backend Engineer",
        )
        aid = str(uuid.uuid4())
        run, _ = assessment_run_create(
            workspace=ws,
            instrument=instrument,
            candidate=CandidateInfo(email=candidate.data["email"], first_name="Robin", last_name=f"Sample{n}"),
            integration=integration,
            refs=ATSRefs(candidate_id=candidate.key, application_id=candidate.data["application_id"],
                         job_id=candidate.data["job"]["id"], assessment_id=aid, type_id=instrument, request_key=aid),
            send_invitation=False,
        )  # fmt: skip
        assessment_record(account, candidate, {"assessment_id": aid}, instrument, definition.name)
        out.append({"run": run.pk, "key": candidate_key_for(run), "aid": aid, "candidate": candidate.key})
    pages = [[item.id for item in definition.page_items(p)] for p in range(1, definition.page_count + 1)]
    scale = definition.scale
    return {"integration": integration.pk, "account": account.key, "runs": out, "pages": pages,
            "value": (scale.min + scale.max) // 2}  # fmt: skip


def seed_limiter(per_second: int) -> dict[str, Any]:
    """An Ashby sandbox integration on the simulator whose limit is `per_second` (burst the same)
    on both sides: our limiter (provider_settings["rate_limit"]) and the simulated Ashby
    (its per-credential limit row)."""
    from integrations.providers.ashby import simulator_state as state
    from integrations.simulator_plugins.models import SimulatorObject

    _, ws = _workspace("Bench Limiter Co", "bench-limiter")
    limit = {"per_second": per_second, "burst": per_second}
    integration = _connected_ashby(ws, rate_limit=limit)
    SimulatorObject.objects.update_or_create(
        provider=state.P, kind="ratelimit", key=state.digest(integration.credential("api_key"))[:120],
        defaults={"data": {"limits": {"second": per_second, "minute": 60 * per_second}}},
    )  # fmt: skip
    return {"integration": integration.pk}


def seed_logs() -> dict[str, Any]:
    """A customer (workspace owner) and a staff member with a second factor, each with a signed-in
    session; one connected production Ashby integration whose log the pages show."""
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user, ws = _workspace("Bench Logs Co", "bench-customer")
    integration = _connected_ashby(ws)
    staff = get_user_model().objects.create_user(
        username="bench-staff",
        email="bench-staff@example.com",
        password=BENCH_PASSWORD,
        is_staff=True,
        is_superuser=True,
    )
    # MFA_REQUIRED_FOR_STAFF: staff pages need a second factor on the account (checked per request).
    Authenticator.objects.create(
        user=staff, type=Authenticator.Type.TOTP, data={"secret": "bench-not-a-real-secret"}
    )

    def session_for(u) -> str:
        s = SessionStore()
        s[SESSION_KEY] = str(u.pk)
        s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        s[HASH_SESSION_KEY] = u.get_session_auth_hash()
        s["workspace_id"] = ws.pk
        s.create()
        return s.session_key

    return {"integration": integration.pk, "public_id": str(integration.public_id), "workspace": ws.pk,
            "secret": integration.secrets_for_verification()[0], "provider": "ashby",
            "customer_user": user.pk, "staff_user": staff.pk,
            "customer_session": session_for(user), "staff_session": session_for(staff),
            "session_cookie": settings.SESSION_COOKIE_NAME}  # fmt: skip


def page_queries(pages: dict[str, str], user: int) -> dict[str, Any]:
    """For each page: status, SQL statements, and the slowest statement with its time (run
    in-process with Django's test client as `user`)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(pk=user))
    out: dict[str, Any] = {}
    for name, path in pages.items():
        client.get(path)  # warm: the first request of a process loads templates, URL conf...
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        queries = [(float(q["time"]), q["sql"]) for q in ctx.captured_queries]
        slowest = max(queries, default=(0.0, ""))
        # Statements that repeat with other parameters (an N+1) and the three slowest, for the report.
        shapes: dict[str, int] = {}
        for _, sql in queries:
            shape = re.sub(r"\b\d+\b", "?", sql)[:160]
            shapes[shape] = shapes.get(shape, 0) + 1
        top = sorted(queries, reverse=True)[:3]
        out[name] = {"status": response.status_code, "queries": len(queries), "slowest_ms": round(slowest[0] * 1000, 1),
                     "slowest_sql": slowest[1], "sql_ms": round(sum(t for t, _ in queries) * 1000, 1),
                     "top": [{"ms": round(t * 1000, 1), "sql": sql} for t, sql in top],
                     "repeated": {shape: n for shape, n in shapes.items() if n > 2}}  # fmt: skip
    return out


def retention_purge_all(shift_days: int, budget: float, sweep_seconds: float) -> dict[str, Any]:
    """Run the retention purge (jobcannon.audit.retention.retention_purge, the scheduled task's
    service) as the clock `shift_days` ahead, one bounded sweep after another, until a sweep
    completes or `budget` seconds pass. Returns what each sweep did."""
    import datetime as dt

    from django.utils import timezone

    from jobcannon.audit.retention import retention_purge

    started = time.monotonic()
    now = timezone.now() + dt.timedelta(days=shift_days)
    sweeps = []
    complete = False
    while not complete and time.monotonic() - started < budget:
        t0 = time.monotonic()
        left = budget - (t0 - started)
        sweep = retention_purge(now=now, time_budget_seconds=min(sweep_seconds, left))
        if sweep is None:
            time.sleep(0.5)
            continue
        sweeps.append({"seconds": round(time.monotonic() - t0, 2), "webhook_bodies": sweep.webhook_bodies,
                       "runs": sweep.runs, "answers": sweep.answers, "complete": sweep.complete,
                       "at": round(t0 - started, 2)})  # fmt: skip
        complete = sweep.complete
    elapsed = round(time.monotonic() - started, 2)
    return {"seconds": elapsed, "complete": complete, "sweeps": sweeps, "plan": _candidate_plan(now),
            "webhook_bodies": sum(s["webhook_bodies"] for s in sweeps)}  # fmt: skip


def _candidate_plan(now) -> dict[str, Any]:
    """The purge's statements for one chunk, and the plan of the one that picks the rows, as the
    purge runs it now (part of the table already purged)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jobcannon.audit import retention
    from jobcannon.workspaces.models import Workspace

    days = Workspace.objects.values_list("retention_days", flat=True).first() or 90
    with CaptureQueriesContext(connection) as ctx:
        retention._webhook_candidates(now=now, days=days)
    sql = ctx.captured_queries[-1]["sql"] if ctx.captured_queries else ""
    plan: list[str] = []
    if sql:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
    return {"sql": sql, "plan": plan}


if __name__ == "__main__":
    django.setup()
    function = globals()[sys.argv[1]]
    result = function(**json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}"))
    print("@@" + json.dumps(result, default=str), flush=True)
