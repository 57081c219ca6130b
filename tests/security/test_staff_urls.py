"""Every staff-only URL of ours needs the model permission matching what it shows or does, not only
is_staff (issue 21). `STAFF_URLS` lists them with their permissions; the first test finds every
staff-only URL of the URL configuration (the views of ours that send a signed-out visitor to the
admin's login: `admin_site.admin_view`, `staff_member_required`) and fails when one is missing
from the list, so a new staff page cannot skip this check. Django's own model admin pages check
model permissions themselves; the outbox and the django-q2 queue are listed too."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage, WritebackStatus
from jobcannon.core.models import SentEmail
from tests.factories import AssessmentRunFactory, IntegrationFactory, UserFactory

pytestmark = pytest.mark.django_db

OURS = ("integrations.", "jobcannon.", "assessments.")
LOG_VIEW = (
    "integrations.view_webhookevent",
    "integrations.view_outboundcall",
    "integrations.view_integrationactivity",
)
TIMELINE_VIEW = ("assessments.view_assessmentrun", "integrations.view_writebackmessage")
REPLAY = "integrations.change_writebackmessage"


@dataclass
class Objects:
    event: WebhookEvent
    writeback: WritebackMessage
    email: SentEmail


@dataclass(frozen=True)
class StaffUrl:
    """One staff URL: `granted` are permissions both users have (the page's view permissions
    when the URL is an action on it), `needed` the one(s) the refused user lacks."""

    route: str  # as the URL configuration spells it
    url: Callable[[Objects], str]
    needed: tuple[str, ...]
    granted: tuple[str, ...] = ()
    method: str = "get"
    data: Callable[[Objects], dict[str, Any]] = field(default=lambda o: {})


def logs(o: Objects) -> str:
    return reverse("admin-integration-logs", args=["fake"])


STAFF_URLS = [
    StaffUrl("admin/integrations/<provider:provider>/logs", logs, LOG_VIEW),
    StaffUrl("admin/integrations/<provider:provider>/logs/", lambda o: logs(o) + "/", LOG_VIEW),
    # Redirects to the logs page (followed: the page is what is refused or shown).
    StaffUrl("admin/integrations/<provider:provider>/", lambda o: "/admin/integrations/fake/", LOG_VIEW),
    StaffUrl("admin/integrations/<provider:provider>", lambda o: "/admin/integrations/fake", LOG_VIEW),
    StaffUrl(
        "admin/integrations/<provider:provider>/logs#reprocess",
        logs,
        ("integrations.change_webhookevent",),
        granted=LOG_VIEW,
        method="post",
        data=lambda o: {"action": "reprocess", "event": [o.event.pk]},
    ),
    StaffUrl(
        "admin/integrations/<provider:provider>/logs#reprocess-range",
        logs,
        ("integrations.change_webhookevent",),
        granted=LOG_VIEW,
        method="post",
        data=lambda o: {"action": "reprocess-range"},
    ),
    StaffUrl(
        "admin/integrations/<provider:provider>/logs#replay",
        logs,
        (REPLAY,),
        granted=LOG_VIEW,
        method="post",
        data=lambda o: {"action": "replay", "writeback": [o.writeback.pk]},
    ),
    StaffUrl("admin/system-status/", lambda o: reverse("admin-system-status"), ("core.view_system_status",)),
    StaffUrl(
        "admin/integrations/integration/run/<int:run_pk>/timeline/",
        lambda o: reverse("admin:integrations-run-timeline", args=[o.writeback.run_id]),
        TIMELINE_VIEW,
    ),
    StaffUrl(
        "admin/integrations/integration/run/<int:run_pk>/timeline/#replay",
        lambda o: reverse("admin:integrations-run-timeline", args=[o.writeback.run_id]),
        (REPLAY,),
        granted=TIMELINE_VIEW,
        method="post",
        data=lambda o: {"writeback": o.writeback.pk},
    ),
    StaffUrl(
        "admin/integrations/writebackmessage/<int:pk>/replay/",
        lambda o: reverse("admin:integrations_writebackmessage_replay", args=[o.writeback.pk]),
        (REPLAY,),
    ),
    StaffUrl(
        "admin/integrations/writebackmessage/<int:pk>/replay/#post",
        lambda o: reverse("admin:integrations_writebackmessage_replay", args=[o.writeback.pk]),
        (REPLAY,),
        granted=("integrations.view_writebackmessage",),
        method="post",
        data=lambda o: {"mode": "replay"},
    ),
    StaffUrl(
        "admin/integrations/writebackdeadletter/<int:pk>/replay/",
        lambda o: reverse("admin:integrations_writebackdeadletter_replay", args=[o.writeback.pk]),
        (REPLAY,),
    ),
    # The outbox and its dead letters (ModelAdmin change lists with our own summary on top).
    StaffUrl(
        "admin/integrations/writebackmessage/",
        lambda o: reverse("admin:integrations_writebackmessage_changelist"),
        ("integrations.view_writebackmessage",),
    ),
    StaffUrl(
        "admin/integrations/writebackdeadletter/",
        lambda o: reverse("admin:integrations_writebackdeadletter_changelist"),
        ("integrations.view_writebackdeadletter",),
    ),
    StaffUrl("dev/mailbox/", lambda o: reverse("dev-mailbox"), ("core.view_sentemail",)),
    StaffUrl(
        "dev/mailbox/<int:pk>/",
        lambda o: reverse("dev-mailbox-message", args=[o.email.pk]),
        ("core.view_sentemail",),
    ),
    # Not ours, listed because they show the queue: django-q2's model admin (its queued-task list
    # exists with the ORM broker only).
    StaffUrl(
        "django-q schedules",
        lambda o: reverse("admin:django_q_schedule_changelist"),
        ("django_q.view_schedule",),
    ),
    StaffUrl(
        "django-q failed tasks",
        lambda o: reverse("admin:django_q_failure_changelist"),
        ("django_q.view_failure",),
    ),
]


# --- Finding every staff-only URL ---------------------------------------------------------------

SAMPLE = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": str(uuid.UUID(int=1)), "provider": "fake"}
GROUP_SAMPLES = ("1", "x", "fake", "test")


def _patterns(resolver: URLResolver | None = None, parts: tuple = ()) -> Iterator[tuple[tuple, URLPattern]]:
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, (*parts, pattern.pattern))
        else:
            yield (*parts, pattern.pattern), pattern


def _module(callback: Any) -> str:
    """Where a view is defined: the class of a class-based view (whose as_view() function also
    carries the __wrapped__ of a decorated dispatch), else the function or method."""
    fn = callback
    while True:
        if getattr(fn, "view_class", None) is not None:
            return fn.view_class.__module__
        if not hasattr(fn, "__wrapped__"):
            return getattr(getattr(fn, "__func__", fn), "__module__", "")
        fn = fn.__wrapped__


def _sample_path(parts: tuple) -> str:
    path = ""
    for part in parts:
        text = str(part)
        if isinstance(part, RoutePattern):
            path += re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], text)
        else:
            assert isinstance(part, RegexPattern)

            def sample(m: re.Match) -> str:
                return next(s for s in GROUP_SAMPLES if re.fullmatch(m.group(1), s))

            text = re.sub(r"\(\?P<\w+>((?:[^()]|\([^()]*\))+)\)", sample, text.strip("^$"))
            path += text.replace("\\", "")
    return "/" + path


def staff_only_routes() -> dict[str, str]:
    """route -> sample path of every view of ours that sends a signed-out visitor to the admin login."""
    client = Client(raise_request_exception=False)
    found = {}
    for parts, pattern in _patterns():
        if not _module(pattern.callback).startswith(OURS):
            continue
        path = _sample_path(parts)
        response = client.get(path)
        if response.status_code == 302 and response["Location"].startswith("/admin/login/"):
            found["".join(str(p) for p in parts)] = path
    return found


def test_every_staff_only_url_is_listed_with_its_permissions():
    listed = {s.route.partition("#")[0] for s in STAFF_URLS}
    found = staff_only_routes()
    assert "admin/integrations/<provider:provider>/logs" in found  # the walk finds what it should
    # Machine endpoints are not staff pages: /metrics takes a bearer token, the probes are open.
    assert not {"metrics", "healthz", "readyz"} & set(found)
    missing = sorted(set(found) - listed)
    assert not missing, f"staff-only URLs not in STAFF_URLS: {missing}"


# --- Each one: refused without its permission, served with it -----------------------------------


@pytest.fixture
def objects() -> Objects:
    integration = IntegrationFactory()
    run = AssessmentRunFactory(workspace=integration.workspace, integration=integration, provider="fake")
    return Objects(
        event=WebhookEvent.objects.create(
            provider="fake", integration=integration, body=b"{}", verified=True, status=WebhookStatus.DEAD
        ),
        writeback=WritebackMessage.objects.create(
            integration=integration,
            run=run,
            kind="r",
            event="completed",
            idempotency_key="k",
            status=WritebackStatus.DEAD,
        ),  # fmt: skip
        email=SentEmail.objects.create(subject="Hello", from_email="a@example.com", to="b@example.com"),
    )


def staff_client(client: Client, permissions: tuple[str, ...]) -> Client:
    user = UserFactory(is_staff=True)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    client.force_login(user)
    return client


def _visit(client: Client, staff_url: StaffUrl, objects: Objects):
    url = staff_url.url(objects)
    if staff_url.method == "post":
        return client.post(url, staff_url.data(objects), follow=True)
    return client.get(url, follow=True)


@pytest.mark.parametrize("staff_url", STAFF_URLS, ids=lambda s: s.route)
def test_staff_url_is_refused_without_its_permission_and_served_with_it(client, objects, staff_url):
    for permissions in {(), staff_url.granted}:
        refused = _visit(staff_client(client, permissions), staff_url, objects)
        page = refused.content.decode()
        assert refused.status_code == 403, f"{staff_url.route} with only {permissions}"
        assert "<h1>Not allowed</h1>" in page, page[:500]  # the site's error page, readable
    objects.writeback.refresh_from_db()
    objects.event.refresh_from_db()
    assert (objects.writeback.status, objects.event.status) == (WritebackStatus.DEAD, WebhookStatus.DEAD)

    served = _visit(staff_client(client, (*staff_url.granted, *staff_url.needed)), staff_url, objects)
    assert served.status_code == 200, f"{staff_url.route}: {served.content.decode()[:500]}"
    assert b'id="content"' in served.content or b"<main" in served.content  # a page, not an error
