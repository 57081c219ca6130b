"""The staff "system status" page in the admin."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule, Task
from django_q.tasks import async_task

from jobcannon.core.workers import _heartbeat_key, worker_heartbeat_record
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

URL = "/admin/system-status/"


def test_status_page_is_for_staff_only(client, user):
    assert client.get(URL).status_code == 302  # anonymous: to the admin login
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_index_links_to_the_status_page(staff_client):
    assert URL in staff_client.get("/admin/").content.decode()


def test_status_page_shows_heartbeat_queue_schedules_and_failures(staff_client):
    worker_heartbeat_record(source="schedule")
    call_command("setup_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
    heartbeat = Schedule.objects.get(name="periodic:jobcannon.core.tasks.worker_heartbeat_task")
    Task.objects.create(
        id="a" * 32,
        name="heartbeat-run",
        func=heartbeat.func,
        started=timezone.now() - timedelta(seconds=5),
        stopped=timezone.now(),
        success=True,
        group=heartbeat.name,
    )
    heartbeat.task = "a" * 32
    heartbeat.save()
    Task.objects.create(
        id="b" * 32,
        name="writeback-failed",
        func="integrations.tasks.writeback_deliver_task",
        started=timezone.now(),
        stopped=timezone.now(),
        success=False,
        result="ValueError: bad mapping for https://api.example.com/x?api_key=sk_live_zzz\nTraceback ...",
    )
    async_task("math.floor", 1.5)
    IntegrationFactory(status="needs_reauth", status_reason="The ATS rejected our refresh token.")

    response = staff_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Last worker heartbeat" in html and "schedule)" in html
    assert "jobcannon.core.tasks.worker_heartbeat_task" in html and "every 1 min" in html
    assert "✓" in html  # the heartbeat schedule's last run succeeded
    assert "writeback-failed" in html and "ValueError: bad mapping" in html
    assert "sk_live_zzz" not in html  # error lines are scrubbed like logs
    assert "The ATS rejected our refresh token." in html
    assert "Tasks waiting" in html


def test_status_page_says_when_no_worker_ever_ran(staff_client):
    from django.core.cache import cache

    cache.delete(_heartbeat_key())
    html = staff_client.get(URL).content.decode()
    assert "No worker heartbeat recorded" in html
    assert "NOT READY" in html


def test_status_page_flags_an_overdue_schedule(staff_client):
    Schedule.objects.create(
        name="periodic:integrations.tasks.webhook_event_sweep_task",
        func="integrations.tasks.webhook_event_sweep_task",
        schedule_type=Schedule.MINUTES,
        minutes=2,
        repeats=-1,
        next_run=timezone.now() - timedelta(minutes=30),
    )
    assert "overdue" in staff_client.get(URL).content.decode()


def test_status_page_survives_a_broken_section(staff_client, monkeypatch):
    def boom():
        raise ConnectionError("redis down")

    monkeypatch.setattr("jobcannon.core.workers.queue_stats", boom)
    response = staff_client.get(URL)
    assert response.status_code == 200
    assert "Could not read this section (ConnectionError)" in response.content.decode()


SECTION_TEMPLATE = (
    '<h3 id="queue-lag">Our lag</h3>{% if section.error %}<p class="errornote">{{ section.error }}</p>'
    "{% else %}{{ section.context.behind }} behind{% endif %}"
)


@pytest.fixture
def own_sections(monkeypatch, settings):
    """Only the sections a test registers, with a template of its own (an app above core would
    ship it in templates/<app>/)."""
    from jobcannon.core import admin_views

    monkeypatch.setattr(admin_views, "_status_sources", {})
    engine = {**settings.TEMPLATES[0], "APP_DIRS": False}
    engine["OPTIONS"] = {
        **engine["OPTIONS"],
        "loaders": [
            ("django.template.loaders.locmem.Loader", {"lag/_status.html": SECTION_TEMPLATE}),
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ],
    }
    settings.TEMPLATES = [engine]
    return admin_views.status_section_register


def test_status_page_shows_a_registered_section_with_the_registering_apps_template(
    staff_client, own_sections
):
    own_sections("lag", lambda: {"behind": 42}, template="lag/_status.html")
    html = staff_client.get(URL).content.decode()
    failures = html[html.index('<div id="failures">') :]
    assert '<h3 id="queue-lag">Our lag</h3>42 behind' in failures
    assert failures.index("Our lag") < failures.index("Failed tasks")
    # Core's own template brings nothing of the apps above it.
    assert "Webhooks rejected" not in html and "re-authorization" not in html


def test_status_page_shows_a_failing_registered_section_as_a_message_in_its_place(staff_client, own_sections):
    def down():
        raise ConnectionError("replica down")

    own_sections("lag", down, template="lag/_status.html")
    response = staff_client.get(URL)
    assert response.status_code == 200
    assert (
        'Our lag</h3><p class="errornote">Could not read this section (ConnectionError).</p>'
        in response.content.decode()
    )


def test_status_page_shows_integrations_problems_failing_in_their_own_section(staff_client, monkeypatch):
    class Down:
        class objects:  # noqa: N801  (stands in for a model's manager)
            @staticmethod
            def filter(**kwargs):
                raise ConnectionError("database gone")

    monkeypatch.setattr("integrations.observability.WebhookEvent", Down)
    html = staff_client.get(URL).content.decode()
    failures = html[html.index('<div id="failures">') : html.index("<h3>Failed tasks</h3>")]
    assert "Could not read this section (ConnectionError)." in failures
    assert "Webhooks rejected" not in failures
