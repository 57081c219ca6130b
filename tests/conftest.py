"""Shared fixtures. Outbound HTTP never leaves the process: `responses` mocks, or
`simulators`, which routes http://testserver/... into this Django app (the built-in ATS
simulators and our own partner API / webhook endpoints)."""

import os
import re
import uuid
from urllib.parse import urlsplit

import pytest
import responses as responses_lib

# Playwright's sync API runs an event loop; Django's ORM is used from the same thread in tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.client import ClientHandler  # noqa: E402

from jobcannon.core.wsgi import is_machine_path, middleware_stack, trust_open_connections  # noqa: E402
from tests.factories import IntegrationFactory, MembershipFactory, UserFactory, WorkspaceFactory  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(autouse=True)
def _dev_mailbox_email(settings):
    """pytest-django switches email to locmem; keep the dev mailbox (it also fills mail.outbox)
    so browser tests can open invitations at /dev/mailbox/ as a newcomer would."""
    settings.EMAIL_BACKEND = "jobcannon.core.mail.DatabaseEmailBackend"


@pytest.fixture(autouse=True)
def _own_rate_limit_buckets(settings):
    """Each test its own outbound rate-limit buckets. The test database's primary keys start
    again at 1 in every test, so integration 1's bucket would otherwise carry the calls of every
    earlier test in this worker: a file of simulator tests exhausts Lever's burst (20) and a
    later credentials check is refused (it was, one run in three)."""
    settings.RATE_LIMIT_NAMESPACE = f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def membership(db, user):
    return MembershipFactory(user=user)


@pytest.fixture
def workspace(membership):
    return membership.workspace


@pytest.fixture
def client_in_workspace(client, user, membership):
    client.force_login(user)
    return client


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory()


@pytest.fixture
def integration(workspace):
    return IntegrationFactory(workspace=workspace)


@pytest.fixture
def mocked_responses():
    with responses_lib.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


class StackAwareClient(Client):
    """Django's test client, routing as jobcannon/core/wsgi.py does in production: the webhook
    intake through MACHINE_MIDDLEWARE, everything else through MIDDLEWARE. The `client` fixture
    and the in-process simulators use it, so every webhook test runs on the stack production uses."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        full = self.handler
        with middleware_stack(list(settings.MACHINE_MIDDLEWARE)):
            machine = _MachineClientHandler(full.enforce_csrf_checks)
            machine.load_middleware()
        self.handler = _Dispatch(full, machine)


class _MachineClientHandler(ClientHandler):
    """As production's machine handler: no per-request database health check."""

    def get_response(self, request):
        trust_open_connections()
        return super().get_response(request)


class _Dispatch:
    def __init__(self, full, machine):
        self.full, self.machine = full, machine

    def __call__(self, environ):
        return (self.machine if is_machine_path(environ.get("PATH_INFO", "")) else self.full)(environ)

    def __getattr__(self, name):
        return getattr(self.full, name)


@pytest.fixture
def client():
    return StackAwareClient()


def _forward_to_django(request):
    parts = urlsplit(request.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {
        k: v
        for k, v in request.headers.items()
        if k.lower() not in {"content-length", "host", "content-type"}
    }
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    response = StackAwareClient().generic(
        request.method, path, data=body, content_type=request.headers.get("Content-Type", ""), headers=headers
    )
    return response.status_code, {k: v for k, v in response.headers.items()}, response.content


@pytest.fixture
def simulators(settings, db):
    """HTTP to http://testserver/... is answered by this Django app, in-process."""
    settings.JOBCANNON_BASE_URL = "http://testserver"
    with responses_lib.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            rsps.add_callback(method, re.compile(r"http://testserver/.*"), callback=_forward_to_django)
        yield rsps


# --- Browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright_browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run the README's test command, which installs it.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_base_url(live_server, settings):
    settings.JOBCANNON_BASE_URL = live_server.url
    return live_server.url


@pytest.fixture
def page(_playwright_browser, live_base_url):
    """A fresh browser context per test; console errors fail the test."""
    context = _playwright_browser.new_context(base_url=live_base_url)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(15000)
    # Assertions wait as long as actions: CI machines are loaded (two suites, benchmarks).
    from playwright.sync_api import expect

    expect.set_options(timeout=15000)
    yield page
    context.close()
    assert not errors, f"browser console errors: {errors}"


def browser_login(page, user, password="correct-horse-battery"):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    # Signed in once the browser has left the login page (every URL matches "**/").
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
