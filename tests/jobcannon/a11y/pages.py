"""What the accessibility crawl visits: a demo workspace as `manage.py demo_seed` makes it
(the demo customer and their sandbox integration of every provider), with a little of
everything in it (deliveries, calls, a sync run, write-backs, assessment runs in every state
a candidate can meet, a sent email, an invitation, a reconnect link, SmartRecruiters connected
through its simulator, a candidate in each sandbox ATS, production integrations that need
re-authorization, are disconnected or not connected yet, a member beside the owner), one object
of every admin model, and the list of pages over it, in thirteen groups (GROUPS, each crawled by
its own test file as the user named there):

- customer: every page of the product as the demo customer (signed in, owner of the workspace),
  with the attention banner of the integrations that need it and their detail pages, its forms'
  error states (a new workspace without a name, a connect wizard answered wrongly) and the
  site-wide error page (an unknown address, a bad request, a server error: error_pages);
- customer (member): the pages whose content depends on the role, as a member sees them, and
  an owner's page refused (the 403 page);
- candidate: the pages a candidate meets (welcome, instructions, a question page, review, done,
  expired, cancelled, invalid link, a question page sent unanswered), the shared report and the
  other pages reached without an account (sign-in, with a wrong password too, sign-up, password
  reset, reconnect and invitation links, an unknown address);
- admin site: the staff admin's index and app indexes, our staff pages (logs, system
  status, an order's timeline, replay) and its message list (a success after a save, a
  warning after an action with nothing ticked);
- admin lists, admin add, admin change, admin history, admin delete: every registered model's
  list, add page (where the admin allows adding), change page, an object's history and its
  delete confirmation (where staff may delete it; test_a11y_admin_delete.py checks that the
  admin refuses the others with 403);
- admin as support staff: the admin's index, app indexes, lists and change pages as a staff
  user who is not a superuser sees them (SUPPORT_STAFF_PERMISSIONS, a typical staff role);
- simulators: the built-in sandbox ATSs' pages the demo customer clicks through when they try
  the product (ATS_SIMULATORS_ENABLED; never in production): each simulator's home, the OAuth
  consent pages of Ashby, Lever and SmartRecruiters (at the URL our "Re-authorize" sends the
  browser to), a sandbox account, company, job, candidate or opportunity, settings, and Knit's
  dashboard;
- two-factor, two-factor sign-in: the pages of a user who has two-factor on (the staff user,
  with a TOTP authenticator and recovery codes, as production requires of staff): signed in
  (re-authenticate with a code, turn TOTP off, recovery codes), and half-way through signing in
  (the code step after the password).

`test_a11y_coverage.py` checks that every page-like URL pattern of the project is in one of
them (or skipped there, with the reason), so a new page is crawled without editing this file
or the test fails saying which route is missing."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from assessments.catalog import instrument_get
from assessments.models import AssessmentRun, RunStatus
from assessments.selectors import candidate_key_for, report_key_for
from assessments.services.candidate import answers_save, assessment_run_start, assessment_run_submit
from integrations.models import (
    Integration,
    IntegrationActivity,
    IntegrationStatus,
    OutboundCall,
    WebhookEvent,
    WebhookStatus,
    WritebackMessage,
    WritebackStatus,
)
from integrations.registry import get_providers
from integrations.services.oauth import oauth_start
from integrations.services.reconnect import reconnect_link_create
from integrations.services.status import integration_mark_needs_reauth, integration_set_status
from jobcannon.core.models import SentEmail
from jobcannon.workspaces.models import Invitation, Membership, Role, Workspace
from jobcannon.workspaces.services import invitation_create
from tests.factories import AssessmentRunFactory, IntegrationFactory, UserFactory
from tests.integrations.providers.smartrecruiters.helpers import connect_via_simulator
from tests.jobcannon.admin_objects import admin_objects

WIDTHS = (1280, 375)
CRAWL_PASSWORD = "correct-horse-battery"  # the staff user's: the two-factor sign-in types it


@dataclass(frozen=True)
class FormSubmit:
    """A form's error state (or the message an admin form answers with), reached as a user
    reaches it: what they type into the page's form (selector and text; True ticks a box or
    chooses a radio button), the button they press, and what the answer shows when it is the
    page expected (its error message, the admin's message list)."""

    fields: tuple[tuple[str, str | bool], ...]
    button: str
    shows: str


@dataclass(frozen=True)
class PageSpec:
    label: str
    url: str
    # What the page answers on purpose (a cancelled candidate link: 410); with `submit`, what the
    # answer to the sent form is (its form page must answer 200).
    status: int = 200
    # A page its scripts draw after it has loaded (Swagger UI fetches the schema, then renders):
    # axe runs once this selector is in the page, and the page fails if it never appears.
    wait_for: str = ""
    # Then what a user does on the page before axe looks: (click this, wait for that) in order
    # (Swagger UI: open an operation, "Try it out", "Execute").
    steps: tuple[tuple[str, str], ...] = ()
    # Where the page sends the browser on purpose (path and query), with the reason where the
    # page is listed; "" = it stays at `url`. The crawl fails a page that ends anywhere else.
    redirect_to: str = ""
    # The page's form, filled in and sent before axe looks: the page checked is the answer.
    submit: FormSubmit | None = None

    @property
    def final_url(self) -> str:
        """The page the browser shows and axe checks."""
        return self.redirect_to or self.url


@dataclass
class CrawlWorld:
    demo_user: Any
    staff_user: Any
    workspace: Workspace
    integrations: dict[str, Integration]
    runs: dict[str, AssessmentRun]
    events: dict[str, WebhookEvent]
    sync_runs: dict[str, Any]
    email: SentEmail
    invitation: Invitation
    invitation_tokens: dict[str, str]  # the links' tokens (the rows keep only their hashes)
    reconnect_url: str
    writeback: WritebackMessage
    admin_objects: dict[type, Any] = field(default_factory=dict)
    support_user: Any = None  # staff, not superuser: SUPPORT_STAFF_PERMISSIONS through a group
    member_user: Any = None  # a member of the demo workspace: not an owner or admin
    # Integrations of the demo workspace in the states that need the customer's attention, by
    # status (needs_reauth, disconnected, pending): the banner and the detail page's sections.
    attention: dict[str, Integration] = field(default_factory=dict)
    simulator_urls: dict[str, str] = field(default_factory=dict)  # label -> path (and query)


def _scored_run(workspace: Workspace, integration: Integration) -> AssessmentRun:
    """A run the candidate really took: started, every item answered, submitted and scored."""
    run = AssessmentRunFactory(
        workspace=workspace,
        integration=integration,
        provider=integration.provider,
        status=RunStatus.INVITED,
        candidate_first_name="Robin",
        candidate_last_name="Example",
    )
    assessment_run_start(run=run)
    instrument = instrument_get(run.instrument, run.instrument_version)
    answers_save(run=run, values={item.id: 1 + i % 5 for i, item in enumerate(instrument.items)})
    return assessment_run_submit(run=run)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _consent_url(integration: Integration, user: Any) -> str:
    """The simulator's consent page, at the URL "Re-authorize" sends the browser to."""
    return _path(oauth_start(integration=integration, user=user, session={}))


def _created(response: Any) -> str:
    """Where a simulator's form sends the browser after creating something (the new page)."""
    assert response.status_code == 302, (response.status_code, response.content[:300])
    return _path(response["Location"])


def _simulator_world(demo: dict[str, Any], integrations: dict[str, Integration], user: Any) -> dict[str, str]:
    """What the demo customer meets in the sandbox ATSs once `demo_seed` has set them up: the
    simulators' own forms create a candidate or an opportunity (as the customer would, through
    the test client), and the consent pages are reached with our real authorization request."""
    from integrations.providers.lever import simulator_state as lever_sim
    from integrations.providers.smartrecruiters import simulator_state as sr_sim

    client = Client()
    client.force_login(user)
    sim = demo["integrations"]  # demo_seed --json: each simulator's URL, SmartRecruiters' company
    ashby_account = _path(sim["ashby"]["simulator_url"])
    ashby_candidate = _created(
        client.post(
            ashby_account,
            {"action": "candidate", "first_name": "Sam", "last_name": "Sandbox", "email": "sam@example.com"},
        )
    )
    lever_opportunity = _created(
        client.post(
            reverse("integrations:sim-lever:home"),
            {
                "name": "Lee Sandbox",
                "email": "lee@example.com",
                "posting": lever_sim.rows("posting")[0]["id"],
            },
        )
    )
    # A customer connecting Lever by OAuth (the demo integration uses an API key).
    lever_oauth = IntegrationFactory(
        provider="lever",
        environment="sandbox",
        auth_kind="oauth2",
        credentials={"client_id": "jobcannon-client", "client_secret": "s3cret"},
        provider_settings={"use_simulator": True},
    )
    company_id = sim["smartrecruiters"]["company_id"]
    company, job = sr_sim.get("company", company_id), sr_sim.jobs(company_id)[0]
    sr_candidate = _created(
        client.post(
            reverse("integrations:sim-smartrecruiters:company", args=[company_id]),
            {"first_name": "Ria", "last_name": "Sandbox", "email": "ria@example.com", "job": job["id"]},
        )
    )
    inline = sr_sim.inline_order_create(
        company=company,
        job=job,
        package_id="big5",
        first_name="Ina",
        last_name="Line",
        email="ina@example.com",
    )
    return {
        "Ashby sandbox": reverse("integrations:sim-ashby:home"),
        "Ashby sandbox account": ashby_account,
        "Ashby sandbox candidate": ashby_candidate,
        "Ashby consent": _consent_url(integrations["ashby"], user),
        "Lever sandbox": reverse("integrations:sim-lever:home"),
        "Lever sandbox opportunity": lever_opportunity,
        "Lever sandbox API credentials": reverse("integrations:sim-lever:credentials"),
        "Lever sandbox webhooks": reverse("integrations:sim-lever:webhooks"),
        "Lever consent": _consent_url(lever_oauth, user),
        "SmartRecruiters sandbox": reverse("integrations:sim-smartrecruiters:home"),
        "SmartRecruiters sandbox company": _path(sim["smartrecruiters"]["simulator_url"]),
        "SmartRecruiters sandbox settings": reverse(
            "integrations:sim-smartrecruiters:settings", args=[company_id]
        ),
        "SmartRecruiters sandbox credentials": reverse(
            "integrations:sim-smartrecruiters:credentials", args=[company_id]
        ),
        "SmartRecruiters sandbox job": reverse(
            "integrations:sim-smartrecruiters:job", args=[company_id, job["id"]]
        ),
        "SmartRecruiters sandbox candidate": sr_candidate,
        "SmartRecruiters in-line assessment done": reverse(
            "integrations:sim-smartrecruiters:inline-done", args=[company_id, inline["id"]]
        ),
        "SmartRecruiters consent": _consent_url(integrations["smartrecruiters"], user),
        "Knit sandbox": reverse("integrations:sim-knit:dashboard"),
        "Knit sandbox Ashby": reverse("integrations:sim-knit:ashby"),
        "Knit sandbox submissions": reverse("integrations:sim-knit:submissions"),
    }


def _attention_integrations(workspace: Workspace, user: Any) -> dict[str, Integration]:
    """One production integration in each state that is not "connected", reached through the
    status service as the product reaches it (its activity line, the admins' email): Lever by
    OAuth refused at its token refresh, Ashby disconnected by an admin, Knit half-way through the
    connect wizard. Production, beside the demo's sandbox ones (one integration per provider and
    environment); nothing on their pages calls the ATS."""
    lever = IntegrationFactory(
        workspace=workspace,
        provider="lever",
        environment="production",
        auth_kind="oauth2",
        credentials={"client_id": "jobcannon-client", "client_secret": "s3cret"},
        created_by=user,
    )
    integration_mark_needs_reauth(
        integration=lever, reason="Lever refused the refresh token (invalid_grant): re-authorize to resume."
    )
    ashby = IntegrationFactory(
        workspace=workspace, provider="ashby", environment="production", created_by=user
    )
    integration_set_status(
        integration=ashby, status=IntegrationStatus.DISCONNECTED, reason="Disconnected by a workspace admin."
    )
    knit = IntegrationFactory(
        workspace=workspace,
        provider="knit",
        environment="production",
        status=IntegrationStatus.PENDING,
        credentials={},
        created_by=user,
    )
    return {
        IntegrationStatus.NEEDS_REAUTH: lever,
        IntegrationStatus.DISCONNECTED: ashby,
        IntegrationStatus.PENDING: knit,
    }


def crawl_world() -> CrawlWorld:
    out = io.StringIO()
    call_command("demo_seed", "--json", stdout=out)
    demo = json.loads(out.getvalue())
    demo_user = get_user_model().objects.get(email="demo@example.com")
    workspace = Workspace.objects.get(slug="demo")
    integrations = {i.provider: i for i in Integration.objects.filter(workspace=workspace).order_by("pk")}
    # The demo's SmartRecruiters integration approved at the simulator's consent page, as the
    # customer does first: its pages that read SmartRecruiters (the scorecard fields) then work.
    client = Client()
    client.force_login(demo_user)
    callback = connect_via_simulator(client, integrations["smartrecruiters"])
    assert callback.status_code == 302, (callback.status_code, callback.content[:300])
    integrations["smartrecruiters"].refresh_from_db()
    first = next(iter(integrations.values()))
    runs = {
        state: AssessmentRunFactory(
            workspace=workspace, integration=first, provider=first.provider, status=status, **extra
        )
        for state, status, extra in (
            ("welcome", RunStatus.INVITED, {}),
            ("started", RunStatus.STARTED, {"started_at": timezone.now(), "consented_at": timezone.now()}),
            ("expired", RunStatus.EXPIRED, {"expired_at": timezone.now()}),
            ("cancelled", RunStatus.CANCELLED, {"cancelled_at": timezone.now()}),
        )
    }
    runs["done"] = _scored_run(workspace, first)
    events = {}
    sync_runs = {}
    for key, integration in integrations.items():
        events[key] = WebhookEvent.objects.create(
            provider=key,
            integration=integration,
            body=b'{"action": "candidate.created", "data": {"id": "cand-1"}}',
            headers={"Content-Type": "application/json"},
            status=WebhookStatus.FAILED,
            verified=True,
            event_type="candidate.created",
            external_id=f"evt-{key}-1",
            error="KeyError: 'candidate'",
        )
        WebhookEvent.objects.create(
            provider=key,
            integration=integration,
            body=b"{}",
            status=WebhookStatus.REJECTED,
            rejection_reason="The signature does not match the body (wrong secret?).",
        )
        OutboundCall.objects.create(
            integration=integration,
            provider=key,
            method="GET",
            path="/v1/jobs",
            status_code=200,
            duration_ms=42,
        )
        IntegrationActivity.objects.create(integration=integration, kind="note", message="Connected.")
        if get_providers()[key].sync_resources:
            from integrations.sync.models import SyncRun

            sync_runs[key] = SyncRun.objects.create(
                integration=integration, resource="jobs", mode="full", status="succeeded", pages=1
            )
    writeback = WritebackMessage.objects.filter(run=runs["done"]).first() or WritebackMessage.objects.create(
        integration=first, run=runs["done"], kind="result", event="completed", idempotency_key="crawl-wb"
    )
    WritebackMessage.objects.filter(pk=writeback.pk).update(
        status=WritebackStatus.DEAD, last_error="HTTP 500"
    )
    email = SentEmail.objects.create(
        subject="Your assessment from Demo Company",
        from_email="noreply@example.com",
        to="candidate@example.com",
        body_text="Hello, please take the assessment.",
        body_html="<p>Hello, please take the assessment.</p>",
    )
    invitation, invitation_token = invitation_create(
        workspace=workspace, email="newcomer@example.com", role=Role.MEMBER, invited_by=demo_user
    )
    # One whose link has expired: listed on the team page with its badge, and its link's page.
    expired, expired_token = invitation_create(
        workspace=workspace, email="latecomer@example.com", role=Role.ADMIN, invited_by=demo_user
    )
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    staff_user = UserFactory(
        username="staff-crawler", is_staff=True, is_superuser=True, password=CRAWL_PASSWORD
    )
    # Two-factor on, as allauth's set-up page leaves it: a TOTP authenticator and recovery codes.
    TOTP.activate(staff_user, generate_totp_secret())
    RecoveryCodes.activate(staff_user)
    world = CrawlWorld(
        demo_user=demo_user,
        staff_user=staff_user,
        workspace=workspace,
        integrations=integrations,
        runs=runs,
        events=events,
        sync_runs=sync_runs,
        email=email,
        invitation=invitation,
        invitation_tokens={"open": invitation_token, "expired": expired_token},
        reconnect_url=reconnect_link_create(integration=first, created_by=demo_user),
        writeback=writeback,
    )
    syncing = next(i for key, i in integrations.items() if key in sync_runs)
    world.admin_objects = admin_objects(workspace=workspace, owner=demo_user, integration=syncing)
    world.support_user = _support_user()
    world.member_user = UserFactory(username="member-crawler", password=CRAWL_PASSWORD)
    Membership.objects.create(user=world.member_user, workspace=workspace, role=Role.MEMBER)
    world.attention = _attention_integrations(workspace, demo_user)
    world.simulator_urls = _simulator_world(demo, integrations, demo_user)
    return world


# --- customer -----------------------------------------------------------------------------------


def customer_pages(w: CrawlWorld) -> list[PageSpec]:
    pages = [
        PageSpec(label, reverse(name))
        for label, name in (
            ("dashboard", "workspaces:dashboard"),
            ("new workspace", "workspaces:create"),
            ("switch workspace", "workspaces:switch"),
            ("workspace settings", "workspaces:settings"),
            ("team", "workspaces:team"),
            ("security", "audit:security"),
            ("audit log", "audit:log"),
            ("integrations", "integrations:list"),
            ("connect an ATS", "integrations:connect"),
            ("assessments", "assessments:list"),
            ("new assessment", "assessments:create"),
            ("assessment settings", "assessments:config"),
            ("account email", "account_email"),
            ("password change", "account_change_password"),
            ("two-factor", "mfa_index"),
            ("reauthenticate", "account_reauthenticate"),
            ("two-factor set-up", "mfa_activate_totp"),
        )
    ]
    # Swagger UI, checked whole: templates/drf_spectacular/swagger_ui.html fixes its colours,
    # SPECTACULAR_SETTINGS its deep links (links nested in the operations' buttons).
    pages.append(PageSpec("API docs", reverse("api-docs"), wait_for=".opblock-summary-control"))
    pages.append(
        PageSpec(
            "API docs, an operation tried out",
            reverse("api-docs") + "?tried-out",
            wait_for=".opblock-summary-control",
            steps=(
                (".opblock-get .opblock-summary-control", ".try-out__btn"),
                (".try-out__btn", ".execute"),
                (".execute", ".live-responses-table"),
            ),
        )
    )
    pages.append(PageSpec("dev mailbox message", reverse("dev-mailbox-message", args=[w.email.pk])))
    pages.append(PageSpec("invitation", reverse("workspaces:invitation", args=[w.invitation_tokens["open"]])))
    pages.append(PageSpec("dev mailbox", reverse("dev-mailbox")))
    for key, provider in get_providers().items():
        if not provider.hidden:
            pages.append(PageSpec(f"connect {key}", reverse("integrations:wizard", args=[key])))
    for key, integration in w.integrations.items():
        pk = integration.pk
        for label, name in (
            ("detail", "integrations:detail"),
            ("setup", "integrations:setup"),
            ("checklist", "integrations:checklist"),
            ("logs", "integrations:logs"),
            ("runs", "integrations:runs"),
        ):
            pages.append(PageSpec(f"{key} {label}", reverse(name, args=[pk])))
        pages.append(
            PageSpec(
                f"{key} webhook delivery",
                reverse("integrations:webhook-event", args=[pk, w.events[key].pk]),
            )
        )
        ns = f"integrations:integration-{key}"
        for route in _provider_page_routes(key):
            url = reverse(f"{ns}:{route}", kwargs={"integration_pk": pk})
            pages.append(PageSpec(f"{key} {route}", url))
        if key in w.sync_runs:
            pages.append(PageSpec(f"{key} sync runs", reverse("sync:runs", args=[pk])))
            pages.append(PageSpec(f"{key} sync run", reverse("sync:run", args=[pk, w.sync_runs[key].pk])))
    pages.append(
        PageSpec(
            "OAuth refused at the ATS",
            reverse("integrations:oauth-callback", args=[next(iter(w.integrations))])
            + "?error=access_denied&state=unknown",
            400,
        )
    )
    pages += [
        # The forms' error states, sent as the demo customer sends them.
        PageSpec(
            "new workspace, no name",
            reverse("workspaces:create"),
            400,
            submit=FormSubmit(
                fields=(("input[name=name]", "   "),),  # only spaces: passes the browser's `required`
                button="form:has(input[name=name]) button[type=submit]",
                shows=".errorlist",
            ),
        ),
        PageSpec(
            "connect lever, simulator in production",
            reverse("integrations:wizard", args=["lever"]),
            submit=FormSubmit(
                fields=(
                    ("input[name=environment][value=production]", True),
                    ("input[name=use_simulator]", True),
                ),
                button="form:has(input[name=environment]) button[type=submit]",
                shows=".checkbox .error[role=alert]",  # "The simulator can only stand in for a sandbox."
            ),
        ),
    ]
    # The integrations that need attention: their detail pages (the banner, the health reason, the
    # Re-authorize section as an owner sees it); the list and dashboard above show their banners.
    for status, integration in w.attention.items():
        pages.append(
            PageSpec(f"{status} integration detail", reverse("integrations:detail", args=[integration.pk]))
        )
    pages += error_pages()
    done = w.runs["done"]
    pages += [
        PageSpec("order timeline", reverse("integrations:run-timeline", args=[done.pk])),
        PageSpec("report", reverse("assessments:report", args=[done.pk])),
        PageSpec("report of an open run", reverse("assessments:report", args=[w.runs["started"].pk])),
    ]
    return pages


def _provider_page_routes(key: str) -> list[str]:
    """Names of a provider's pages under /integrations/<pk>/<key>/ that answer GET with a
    page (not POST-only actions, not routes that need more than the integration)."""
    names = []
    for pattern in get_providers()[key].integration_urls():
        view = getattr(pattern.callback, "view_class", None)
        if pattern.name and view is not None and hasattr(view, "get") and not pattern.pattern.converters:
            names.append(pattern.name)
    return names


UNKNOWN_URL = "/no-such-page/"  # resolves to no view: the 404 handler's page


def error_pages() -> list[PageSpec]:
    """The site-wide error page (jobcannon/urls.py handler400/404/500, templates/error.html) as a
    signed-in customer meets it: a mistyped address, and the crawl's own deliberate bad request
    and server error (tests/jobcannon/a11y/urls.py). The 403 is a member's visit to an owner's
    page (member_pages). The integration actions' "Unknown action" answer renders the same
    template from a POST no page's form sends, so it is not crawled on its own."""
    return [
        PageSpec("unknown page", UNKNOWN_URL, 404),
        PageSpec("bad request", reverse("a11y-crawl-bad-request"), 400),
        PageSpec("server error", reverse("a11y-crawl-server-error"), 500),
    ]


# --- a member of the workspace (not an owner or admin) ------------------------------------------


def member_pages(w: CrawlWorld) -> list[PageSpec]:
    """The pages whose content depends on the role, as a member sees them: without the owners'
    buttons and forms (the team's invitations, the integrations' Connect and Re-authorize), and
    an owner's page refused (the 403 handler's page: workspaces.mixins.WorkspaceMixin)."""
    key, connected = next(iter(w.integrations.items()))
    pages = [
        PageSpec("dashboard", reverse("workspaces:dashboard")),
        PageSpec("team", reverse("workspaces:team")),
        PageSpec("workspace settings, refused", reverse("workspaces:settings"), 403),
        PageSpec("integrations", reverse("integrations:list")),
        PageSpec(f"{key} detail", reverse("integrations:detail", args=[connected.pk])),
    ]
    for status, integration in w.attention.items():
        pages.append(
            PageSpec(f"{status} integration detail", reverse("integrations:detail", args=[integration.pk]))
        )
    return pages


# --- candidate and other pages without an account -----------------------------------------------


def candidate_pages(w: CrawlWorld) -> list[PageSpec]:
    runs = w.runs
    started = candidate_key_for(runs["started"])
    first_page = instrument_get(runs["started"].instrument).page_count and 1
    tampered = candidate_key_for(runs["welcome"])[:-3] + "xyz"
    token = w.reconnect_url.rsplit("/reconnect/", 1)[1].strip("/")
    return [
        PageSpec("welcome", reverse("assessments:take", args=[candidate_key_for(runs["welcome"])])),
        PageSpec("instructions", reverse("assessments:instructions", args=[started])),
        PageSpec("question page", reverse("assessments:page", args=[started, first_page])),
        PageSpec(
            "question page, sent unanswered",
            reverse("assessments:page", args=[started, first_page]),
            400,
            submit=FormSubmit(fields=(), button="button[name=nav][value=next]", shows="#page-error"),
        ),
        PageSpec("review", reverse("assessments:review", args=[started])),
        PageSpec("done", reverse("assessments:take", args=[candidate_key_for(runs["done"])])),
        PageSpec("expired", reverse("assessments:take", args=[candidate_key_for(runs["expired"])]), 410),
        PageSpec("cancelled", reverse("assessments:take", args=[candidate_key_for(runs["cancelled"])]), 410),
        PageSpec("invalid link", reverse("assessments:take", args=[tampered]), 404),
        PageSpec("unknown page", UNKNOWN_URL, 404),
        PageSpec("shared report", reverse("assessments:report-shared", args=[report_key_for(runs["done"])])),
        PageSpec("sign in", reverse("account_login")),
        PageSpec(
            "sign in, wrong password",
            reverse("account_login"),
            submit=FormSubmit(
                fields=(
                    ("input[name=login]", w.demo_user.email),
                    ("input[name=password]", "not-the-password"),
                ),
                button="form:has(input[name=password]) button[type=submit]",
                shows=".errorlist",
            ),
        ),
        PageSpec("sign up", reverse("account_signup")),
        PageSpec("password reset", reverse("account_reset_password")),
        PageSpec("password reset sent", reverse("account_reset_password_done")),
        PageSpec(
            "password reset link, invalid", reverse("account_reset_password_from_key", args=["1", "x-y"])
        ),
        PageSpec("password reset done", reverse("account_reset_password_from_key_done")),
        PageSpec("email confirmation sent", reverse("account_email_verification_sent")),
        PageSpec("email confirmation link, invalid", reverse("account_confirm_email", args=["not-a-key"])),
        PageSpec("account inactive", reverse("account_inactive")),
        PageSpec("reconnect link", reverse("integrations:reconnect", args=[token])),
        PageSpec(
            "reconnect link, invalid", reverse("integrations:reconnect", args=[token[:-4] + "AAAA"]), 410
        ),
        # Seen without signing in first: why the link no longer works, and whom to ask.
        PageSpec(
            "invitation link, expired",
            reverse("workspaces:invitation", args=[w.invitation_tokens["expired"]]),
            410,
        ),
    ]


# --- staff admin --------------------------------------------------------------------------------


def _staff_request(w: CrawlWorld, user: Any = None) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user or w.staff_user
    return request


# A typical staff role: support engineers who look after customers' integrations, with the
# permissions docs/deployment.md ("Being staff only lets a person into the admin ...") gives
# through a group for that work: read the integrations, their logs, write-backs, runs, sync
# state and background tasks; reprocess deliveries, replay write-backs, make reconnect links;
# the system status page and the mail log. No users, groups, two-factor devices, tokens or
# schedules; no candidates' answers. (app label, codename), as Permission rows spell them.
SUPPORT_STAFF_PERMISSIONS = (
    ("core", "view_system_status"),
    ("core", "view_sentemail"),
    ("workspaces", "view_workspace"),
    ("workspaces", "view_invitation"),
    ("integrations", "view_integration"),
    ("integrations", "change_integration"),
    ("integrations", "view_webhookevent"),
    ("integrations", "change_webhookevent"),
    ("integrations", "view_outboundcall"),
    ("integrations", "view_integrationactivity"),
    ("integrations", "view_writebackmessage"),
    ("integrations", "change_writebackmessage"),
    ("integrations", "view_writebackdeadletter"),
    ("sync", "view_syncrun"),
    ("sync", "view_synccheckpoint"),
    ("sync", "view_syncedintegration"),
    ("assessments", "view_assessment"),
    ("assessments", "view_assessmentrun"),
    ("assessments", "view_assessmentconfig"),
    ("audit", "view_auditevent"),
    ("django_q", "view_success"),
    ("django_q", "view_failure"),
    ("django_q", "view_ormq"),
)


def _support_user() -> Any:
    """A support engineer: staff, not a superuser, in the support group, with two-factor on."""
    group = AuthGroup.objects.create(name="Support engineers")
    for app_label, codename in SUPPORT_STAFF_PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    user = UserFactory(username="support-crawler", is_staff=True, is_superuser=False, password=CRAWL_PASSWORD)
    user.groups.add(group)
    TOTP.activate(user, generate_totp_secret())
    return user


def admin_site_pages(w: CrawlWorld) -> list[PageSpec]:
    """The admin's index and app indexes, and our staff pages inside it."""
    pages = [
        PageSpec("admin index", reverse("admin:index")),
        PageSpec("system status", reverse("admin-system-status")),
        PageSpec("admin password change", reverse("admin:password_change")),
        PageSpec("admin password changed", reverse("admin:password_change_done")),
        PageSpec(
            "staff order timeline", reverse("admin:integrations-run-timeline", args=[w.runs["done"].pk])
        ),
        PageSpec("user password", reverse("admin:auth_user_password_change", args=[w.demo_user.pk])),
    ]
    for app_label in sorted({m._meta.app_label for m in admin.site._registry}):
        pages.append(PageSpec(f"{app_label} app", reverse("admin:app_list", args=[app_label])))
    for key in get_providers():
        pages.append(PageSpec(f"{key} staff logs", reverse("admin-integration-logs", args=[key])))
    for model in ("writebackmessage", "writebackdeadletter"):
        url = reverse(f"admin:integrations_{model}_replay", args=[w.writeback.pk])
        pages.append(PageSpec(f"{model} replay", url))
    return pages + admin_message_pages(w)


def admin_message_pages(w: CrawlWorld) -> list[PageSpec]:
    """The admin showing its message list (ul.messagelist), as after every save, action and
    replay: a success (a change saved with "Save and continue editing") and a warning ("Go"
    with no row ticked). Django answers both with a redirect (302) back to the same page, where
    the message is shown once."""
    return [
        PageSpec(
            "admin success message",
            _admin_url(Workspace, "change", w.workspace.pk),
            302,
            submit=FormSubmit(fields=(), button="input[name=_continue]", shows="ul.messagelist li.success"),
        ),
        PageSpec(
            "admin warning message",
            _admin_url(Workspace, "changelist"),
            302,
            submit=FormSubmit(fields=(), button="button[name=index]", shows="ul.messagelist li.warning"),
        ),
    ]


def _admin_url(model: Any, view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def admin_list_pages(w: CrawlWorld) -> list[PageSpec]:
    return [PageSpec(f"{m._meta.label} list", _admin_url(m, "changelist")) for m in admin.site._registry]


def admin_add_pages(w: CrawlWorld) -> list[PageSpec]:
    """The add page of every model whose admin allows adding."""
    request = _staff_request(w)
    return [
        PageSpec(f"{model._meta.label} add", _admin_url(model, "add"))
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_add_permission(request)
    ]


def admin_change_pages(w: CrawlWorld) -> list[PageSpec]:
    return [
        PageSpec(f"{m._meta.label} change", _admin_url(m, "change", w.admin_objects[m].pk))
        for m in admin.site._registry
    ]


def admin_history_pages(w: CrawlWorld) -> list[PageSpec]:
    """The history page of every registered model's object."""
    return [
        PageSpec(f"{m._meta.label} history", _admin_url(m, "history", w.admin_objects[m].pk))
        for m in admin.site._registry
    ]


def admin_delete_urls(w: CrawlWorld) -> tuple[list[PageSpec], list[str]]:
    """The delete confirmation page of every registered model's object: (the pages of those the
    staff user may delete, the URLs of the others, which the admin refuses with 403)."""
    request = _staff_request(w)
    pages, refused = [], []
    for model, model_admin in admin.site._registry.items():
        obj = w.admin_objects[model]
        url = _admin_url(model, "delete", obj.pk)
        if model_admin.has_delete_permission(request, obj):
            pages.append(PageSpec(f"{model._meta.label} delete", url))
        else:
            refused.append(url)
    return pages, refused


def admin_delete_pages(w: CrawlWorld) -> list[PageSpec]:
    return admin_delete_urls(w)[0]


def support_staff_admin_pages(w: CrawlWorld) -> list[PageSpec]:
    """The admin as a support engineer sees it (SUPPORT_STAFF_PERMISSIONS, not a superuser): its
    index, the app indexes, and the list and change page (read-only where the role may only
    view) of every model the role may see."""
    request = _staff_request(w, w.support_user)
    visible = {
        model: model_admin
        for model, model_admin in admin.site._registry.items()
        if model_admin.has_view_or_change_permission(request)
    }
    pages = [PageSpec("admin index", reverse("admin:index"))]
    for app_label in sorted({m._meta.app_label for m in visible}):
        pages.append(PageSpec(f"{app_label} app", reverse("admin:app_list", args=[app_label])))
    for model, model_admin in visible.items():
        pages.append(PageSpec(f"{model._meta.label} list", _admin_url(model, "changelist")))
        obj = w.admin_objects[model]
        if model_admin.has_view_or_change_permission(request, obj):
            pages.append(PageSpec(f"{model._meta.label} change", _admin_url(model, "change", obj.pk)))
    return pages


# --- the built-in sandbox ATSs --------------------------------------------------------------------


def simulator_pages(w: CrawlWorld) -> list[PageSpec]:
    """The simulators' HTML pages (their JSON APIs, token endpoints and POST-only actions are
    listed in test_a11y_coverage.py's NOT_PAGES)."""
    return [PageSpec(label, url) for label, url in w.simulator_urls.items()]


# --- a user with two-factor on (the staff user) ---------------------------------------------------


def two_factor_pages(w: CrawlWorld) -> list[PageSpec]:
    """Signed in with two-factor on (the two-factor overview and the password re-authentication
    page are crawled in the customer group, as the demo customer)."""
    return [
        PageSpec(label, reverse(name))
        for label, name in (
            ("reauthenticate with a code", "mfa_reauthenticate"),
            ("two-factor off", "mfa_deactivate_totp"),
            ("recovery codes", "mfa_view_recovery_codes"),
            ("new recovery codes", "mfa_generate_recovery_codes"),
        )
    ]


def two_factor_sign_in_pages(w: CrawlWorld) -> list[PageSpec]:
    """The sign-in's second step: the password was right, the code is asked for."""
    return [PageSpec("sign in, code step", reverse("mfa_authenticate"))]


class Group(NamedTuple):
    pages: Callable[[CrawlWorld], list[PageSpec]]
    who: str | None  # who looks at them: the CrawlWorld attribute, None = signed out
    second_step: bool = False  # True: `who` has typed the password, the two-factor code is next


# Each group is crawled by its own test file, so pytest-xdist (--dist loadfile) spreads them.
GROUPS: dict[str, Group] = {
    "customer": Group(customer_pages, "demo_user"),
    "customer (member)": Group(member_pages, "member_user"),
    "candidate": Group(candidate_pages, None),
    "admin site": Group(admin_site_pages, "staff_user"),
    "admin lists": Group(admin_list_pages, "staff_user"),
    "admin add": Group(admin_add_pages, "staff_user"),
    "admin change": Group(admin_change_pages, "staff_user"),
    "admin history": Group(admin_history_pages, "staff_user"),
    "admin delete": Group(admin_delete_pages, "staff_user"),
    "admin as support staff": Group(support_staff_admin_pages, "support_user"),
    "simulators": Group(simulator_pages, "demo_user"),
    "two-factor": Group(two_factor_pages, "staff_user"),
    "two-factor sign-in": Group(two_factor_sign_in_pages, "staff_user", second_step=True),
}
