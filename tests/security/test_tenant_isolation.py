"""Tenant isolation, proved on every URL.

Every URL pattern (pages, APIs, partner endpoints, candidate pages, admin, provider pages as they
land) is requested with GET and POST, its path parameters filled with the ids, uuids and tokens
of ANOTHER workspace's objects, as an anonymous visitor, as the owner of another workspace and as
a signed-in user in no workspace (none of them staff). Nothing of the victim workspace may be
readable (no victim string in any response; an object URL answers 404 / 403 / 401 / a redirect to
sign in) or writable (the victim's rows are unchanged afterwards), and nothing answers 5xx."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client

from assessments.selectors import candidate_key_for, report_key_for
from integrations.registry import get_providers
from tests.security.conftest import SENTINELS, victim_state
from tests.security.urlwalk import Route, build_paths, iter_routes, random_uuid

pytestmark = pytest.mark.django_db

# --- The allow-list: URLs that are public on purpose, and why. ----------------------------------
# Each entry is a prefix of the view's dotted path or of the URL namespace. Anything not listed is
# a customer page: it must require a signed-in member of the object's own workspace.

# Not mounted in production (ATS_SIMULATORS_ENABLED is off there): the built-in sandbox ATSs hold
# simulator state only, never tenant data, and some of their POSTs call out over HTTP.
SKIPPED_NAMESPACES = ("integrations:sim-",)

# Machine endpoints an ATS calls: no session, authenticated by a signature or partner key. Without
# one they must refuse (401/403/404/400/405), never 2xx, and never show another tenant's data.
# Except where the vendor's spec lists no such status: Ashby's partner API refuses with the
# operation's own 200/422 and says so in its envelope (integrations/providers/ashby/partner_errors.py).
MACHINE = (
    "integrations.views.WebhookReceiveView",  # signed webhooks (rejections are stored, answered 4xx)
    "integrations:partner-",  # partner APIs (Ashby assessment.*, SmartRecruiters packages/orders)
)

# Signed single-use / capability links: whoever holds the real link may open it (a candidate, an
# ATS admin, an invitee). Here they get forged or altered tokens: refused, no data, no 5xx.
SIGNED_LINKS = (
    "assessments.views.CandidateRun",  # /a/<signed key>/...: the candidate's own pages
    "assessments.apis.CandidateAnswerSaveApi",
    "assessments.recruiter_views.ReportShared",  # /assessments/reports/<signed key>/ from the ATS
    "integrations.views.ReconnectLinkView",  # /reconnect/<signed token>/ for an ATS admin
    "jobcannon.workspaces.views.InvitationAcceptView",  # bound to the invited email address too
)

# Open to everyone by design: sign-in and account pages (allauth), the OAuth callback (bound to
# the session's state), health probes, metrics (bearer token or 404), the API schema and docs.
OPEN = (
    "allauth.",
    "integrations.views.OAuthCallbackView",
    "jobcannon.core.views.healthz",
    "jobcannon.core.views.readyz",
    "jobcannon.core.metrics.metrics_view",
    "drf_spectacular.views.",
)
# /readyz may honestly answer 503 in a test process (no worker heartbeat).
MAY_BE_UNAVAILABLE = ("jobcannon.core.views.readyz",)

# Staff only (our actors are never staff): the Django admin, staff log viewers, the dev mailbox.
STAFF_PATH_PREFIXES = ("/admin/", "/dev/mailbox/")

# Path parameters that name no tenant object (a provider key, a page number, an action word).
NOT_OBJECTS = frozenset({"provider", "page", "action", "app_label", "url"})

DENIED = {301, 302, 303, 307, 308, 401, 403, 404, 405}


def kind_of(route: Route, path: str) -> str:
    if route.namespace.startswith(SKIPPED_NAMESPACES) or any(
        ns.startswith("sim-") for ns in route.namespaces
    ):
        return "skip"
    if path.startswith(STAFF_PATH_PREFIXES):
        return "staff"
    for kind, prefixes in (("machine", MACHINE), ("signed", SIGNED_LINKS), ("open", OPEN)):
        if any(route.view.startswith(p) or f"{route.namespace}:".startswith(p) for p in prefixes):
            return kind
    return "private"


IN_BAND_REFUSALS = {"unauthenticated", "method_not_allowed"}


def _refused_in_band(body: str) -> bool:
    try:
        answer = json.loads(body)
    except ValueError:
        return False
    info = answer.get("errorInfo") if isinstance(answer, dict) else None
    return answer.get("success") is False and isinstance(info, dict) and info.get("code") in IN_BAND_REFUSALS


def _tampered(value: str) -> str:
    return value[:-2] + ("AA" if not value.endswith("AA") else "BB")


class Filler:
    """Parameter values from the victim workspace, by parameter name."""

    def __init__(self, victim, provider: str):
        self.victim = victim
        self.provider = provider
        integration = victim.integrations[provider]
        self.integration = integration
        self.all_ids = sorted(
            {
                integration.pk,
                victim.run.pk,
                victim.event.pk,
                victim.writeback.pk,
                victim.email.pk,
                victim.invitation.pk,
            }
        )
        run = victim.run
        self.by_name: dict[str, list] = {
            "provider": [provider],
            "public_id": [str(integration.public_id)],
            "integration_pk": [integration.pk],
            "pk": sorted({integration.pk, run.pk, victim.email.pk}),
            "run_pk": [run.pk],
            "message_pk": [victim.writeback.pk],
            "event_pk": [victim.event.pk],
            "object_id": [integration.pk],
            "content_type_id": [1],
            # Signed links: altered signatures and well-formed links to nothing.
            "key": [
                _tampered(candidate_key_for(run)),
                _tampered(report_key_for(run)),
                signing.Signer(salt="not-ours", sep=".").sign("x" * 43),
            ],
            "token": [_tampered(victim.invitation_token), "Zm9yZ2VkLXRva2Vu.x.y"],
            "page": [1],
            "uidb36": ["1"],
        }

    def __call__(self, name: str, converter: str, route: Route) -> list:
        if name in self.by_name:
            return self.by_name[name]
        if converter == "int" or name.endswith(("_pk", "_id")) and converter in ("int", "path"):
            return self.all_ids
        if converter == "uuid":
            return [str(self.integration.public_id), random_uuid()]
        if converter == "slug":
            return ["test"]
        if converter == "path":
            return ["1"]
        return ["x1"]


def scenarios(route: Route) -> list[str]:
    """Which provider's objects fill a route: the provider it belongs to, every provider for
    generic <provider> URLs, else the fake provider's."""
    for ns in route.namespaces:
        for prefix in ("partner-", "integration-"):
            if ns.startswith(prefix):
                return [ns.removeprefix(prefix)]
    if any(name == "provider" for name, _ in route.params()):
        return sorted(get_providers())
    return ["fake"]


def _body(response) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def _request(client: Client, method: str, path: str, kind: str):
    try:
        if method == "GET":
            return client.get(path, headers={"accept": "text/html"}), None
        if kind == "machine":  # what an ATS sends: JSON (a form post is refused with 415 first)
            return client.post(path, data=b"{}", content_type="application/json"), None
        return client.post(path, data={}, headers={"accept": "text/html"}), None
    except Exception as exc:  # noqa: BLE001 - reported as a finding
        return None, f"{type(exc).__name__}: {exc}"


# Sign-out pages would end the actor's session half-way through the walk.
SESSION_ENDING = ("allauth.account.views.LogoutView", "django.contrib.admin.sites.AdminSite.logout")


def walk(client: Client, victim, actor: str, user=None) -> tuple[list[str], int]:
    problems: list[str] = []
    requests = 0
    seen: set[tuple[str, str]] = set()
    for route in iter_routes():
        for provider in scenarios(route):
            for path in build_paths(route, Filler(victim, provider)):
                kind = kind_of(route, path)
                if kind == "skip" or (user is not None and route.view.startswith(SESSION_ENDING)):
                    continue
                uses_victim = any(name not in NOT_OBJECTS for name, _ in route.params())
                for method in ("GET", "POST"):
                    if (method, path) in seen:
                        continue
                    seen.add((method, path))
                    requests += 1
                    response, error = _request(client, method, path, kind)
                    where = f"{actor} {method} {path} [{route.view}]"
                    if error:
                        problems.append(f"{where}: raised {error}")
                        continue
                    status = response.status_code
                    if user is not None and "_auth_user_id" not in client.session:
                        problems.append(f"{where}: signed the actor out; the walk signs in again")
                        client.force_login(user)
                    body = _body(response)
                    leaked = [s for s in SENTINELS if s in body]
                    if leaked:
                        problems.append(f"{where}: {status} shows victim data {leaked}")
                    if status >= 500 and not (status == 503 and route.view.startswith(MAY_BE_UNAVAILABLE)):
                        problems.append(f"{where}: server error {status}")
                    elif (
                        kind in ("staff", "machine", "signed")
                        and status not in DENIED | {400, 410}
                        and not (kind == "machine" and _refused_in_band(body))
                    ):
                        problems.append(f"{where}: {kind} endpoint answered {status}")
                    elif kind == "private" and uses_victim and status not in DENIED:
                        problems.append(f"{where}: another workspace's object answered {status}")
                    elif kind == "private" and actor == "anonymous" and status not in DENIED:
                        problems.append(f"{where}: anonymous visitor answered {status}")
                    if kind in ("private", "staff") and actor == "anonymous" and status in (301, 302, 303):
                        location = response.headers.get("Location", "")
                        # (the admin's own pages redirect to /admin/, which asks to sign in)
                        if "login" not in location and not location.startswith(("/accounts/", "/admin/")):
                            problems.append(f"{where}: anonymous redirected to {location}, not to sign in")
    return problems, requests


@pytest.fixture
def actor_client(request, client, attacker, loner):
    actor = request.param
    user = {"other-workspace-owner": attacker, "no-workspace-user": loner}.get(actor)
    if user is not None:
        client.force_login(user)
    return actor, client, user


@pytest.mark.parametrize(
    "actor_client", ["anonymous", "other-workspace-owner", "no-workspace-user"], indirect=True
)
def test_no_url_exposes_or_changes_another_workspace(actor_client, victim, settings):
    settings.INBOUND_RATE_LIMITS = {
        "default": {"per_second": 0}
    }  # the walk is a burst; not what is tested here
    actor, client, user = actor_client
    before = victim_state(victim)
    problems, requests = walk(client, victim, actor, user)
    assert victim_state(victim) == before, "a request changed the victim workspace"
    assert requests > 150, f"only {requests} requests: did the URL walk break?"
    assert not problems, f"{len(problems)} problem(s) in {requests} requests:\n" + "\n".join(problems)


def test_walk_covers_every_kind_of_url(victim):
    """The walk reaches the console, provider pages, partner APIs, webhooks, candidate links and
    the admin, so a regression in the walker cannot hide URLs."""
    views = {route.view for route in iter_routes()}
    for expected in (
        "integrations.views.IntegrationDetailView",
        "integrations.views.WebhookReceiveView",
        "assessments.views.CandidateRunTakeView",
        "assessments.recruiter_views.RunReportView",
        "jobcannon.audit.views.AuditLogView",
    ):
        assert expected in views
    namespaces = {route.namespace for route in iter_routes()}
    assert any(ns.startswith("integrations:partner-") for ns in namespaces)
    assert any(ns.startswith("integrations:integration-") for ns in namespaces)
    assert settings.ATS_SIMULATORS_ENABLED  # sims exist in tests, and are skipped on purpose
