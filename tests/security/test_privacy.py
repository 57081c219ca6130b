"""Privacy requests: export everything about a candidate, or delete it (cascade: link revoked
through assessment_run_cancel, answers and results purged, webhook bodies purged)."""

import json
import re

import pytest
from django.utils import timezone

from assessments.models import Answer, AssessmentRun, Result, RunStatus
from assessments.services.runs import candidate_url
from integrations.models import WebhookEvent, WebhookStatus, WritebackMessage
from jobcannon.audit.models import AuditEvent, WebhookBodyDigest
from jobcannon.audit.privacy import candidate_delete
from jobcannon.workspaces.models import Role
from tests.factories import AssessmentRunFactory, IntegrationFactory, MembershipFactory

pytestmark = pytest.mark.django_db
EMAIL = "ada.candidate@example.com"


@pytest.fixture
def candidate(workspace):
    integration = IntegrationFactory(workspace=workspace)
    finished = AssessmentRunFactory(
        workspace=workspace,
        candidate_email=EMAIL,
        candidate_last_name="Lovelace",
        status=RunStatus.SCORED,
        scored_at=timezone.now(),
        integration=integration,
        provider="fake",
    )
    active = AssessmentRunFactory(
        workspace=workspace,
        candidate_email=EMAIL.upper(),
        status=RunStatus.INVITED,
        integration=integration,
        provider="fake",
        external_assessment_id="ats-1",
    )
    Answer.objects.create(run=finished, item_id="e1", value=5, answered_at=timezone.now())
    Answer.objects.create(run=active, item_id="e2", value=2, answered_at=timezone.now())
    Result.objects.create(run=finished, instrument_version="1", overall_score=64, dimensions=[])
    hook = WebhookEvent.objects.create(
        provider="fake",
        integration=integration,
        status=WebhookStatus.PROCESSED,
        body=json.dumps({"email": EMAIL}).encode(),
    )
    other = AssessmentRunFactory(workspace=workspace, candidate_email="someone.else@example.com")
    return {"finished": finished, "active": active, "hook": hook, "other": other}


def test_export_downloads_every_run_answer_result_and_delivery_of_the_candidate(
    client_in_workspace, candidate
):
    response = client_in_workspace.post("/workspace/privacy/export/", {"export-email": EMAIL})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert {r["id"] for r in data["assessment_runs"]} == {candidate["finished"].pk, candidate["active"].pk}
    finished = next(r for r in data["assessment_runs"] if r["id"] == candidate["finished"].pk)
    assert finished["answers"][0]["value"] == 5 and finished["result"]["overall_score"] == 64
    assert [d["id"] for d in data["webhook_deliveries"]] == [candidate["hook"].pk]
    assert data["workspace"]["data_region"] in ("eu", "us")
    assert AuditEvent.objects.filter(action="privacy.exported").exists()


def test_delete_cancels_revokes_purges_and_keeps_only_what_the_ats_records_need(
    client, client_in_workspace, candidate
):
    link = candidate_url(run=candidate["active"]).removeprefix("http://testserver")
    response = client_in_workspace.post(
        "/workspace/privacy/delete/", {"delete-email": EMAIL, "delete-confirm": "on"}, follow=True
    )
    assert response.status_code == 200
    assert "Deleted: 2 assessment run(s)" in response.content.decode()

    active = AssessmentRun.objects.get(pk=candidate["active"].pk)
    assert active.status == RunStatus.CANCELLED  # through assessment_run_cancel
    assert WritebackMessage.objects.filter(run=active, event="cancelled").exists()  # the ATS is told
    assert active.external_assessment_id == "ats-1"
    for run in AssessmentRun.objects.filter(pk__in=[candidate["finished"].pk, active.pk]):
        assert EMAIL.lower() not in run.candidate_email.lower() and run.candidate_last_name == ""
    assert not Answer.objects.filter(run__in=[candidate["finished"], active]).exists()
    assert not Result.objects.filter(run=candidate["finished"]).exists()
    assert client.get(link).status_code == 404  # the candidate link is revoked
    assert bytes(WebhookEvent.objects.get(pk=candidate["hook"].pk).body) == b""
    assert WebhookBodyDigest.objects.get(event=candidate["hook"]).reason == "privacy"
    assert AssessmentRun.objects.get(pk=candidate["other"].pk).candidate_email == "someone.else@example.com"
    audit = AuditEvent.objects.get(action="privacy.candidate_deleted")
    assert EMAIL not in audit.message + audit.target_label + json.dumps(audit.data)


def test_delete_needs_the_confirmation(client_in_workspace, candidate):
    response = client_in_workspace.post("/workspace/privacy/delete/", {"delete-email": EMAIL})
    assert response.status_code == 400
    assert AssessmentRun.objects.get(pk=candidate["active"].pk).status == RunStatus.INVITED
    # The form comes back with the address as typed and the confirmation asked for, under it.
    assert _forms_fields(response.content.decode())["/workspace/privacy/delete/"] == {
        "id_delete-email": EMAIL,
        "id_delete-confirm": "",
    }


def _forms_fields(html: str) -> dict[str, dict[str, str]]:
    """Each form's action -> {input id: value} of the inputs its labels name; fails if a label
    names an id that is not an input of its own form, or if an id is on the page twice."""
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert sorted({i for i in ids if ids.count(i) > 1}) == [], "an id on the page twice"
    forms = {}
    for action, body in re.findall(r'<form method="post" action="([^"]+)">(.*?)</form>', html, re.S):
        inputs = {
            m.group(2): (re.search(r'value="([^"]*)"', m.group(0)) or re.match("()", "")).group(1)
            for m in re.finditer(r'<input(?=[^>]*type="(?!hidden)([^"]+)")[^>]*\bid="([^"]+)"[^>]*>', body)
        }
        named = re.findall(r'<label for="([^"]+)"', body)
        assert named and sorted(named) == sorted(inputs), (action, named, inputs)
        forms[action] = inputs
    return forms


def test_each_privacy_forms_label_names_its_own_forms_field(client_in_workspace):
    """Export and delete both ask for the email address: each form's label must name its own
    field, or a screen reader user typing into "Delete a candidate" fills in the export's."""
    html = client_in_workspace.get("/workspace/security/").content.decode()

    assert _forms_fields(html) == {
        "/workspace/privacy/export/": {"id_export-email": ""},
        "/workspace/privacy/delete/": {"id_delete-email": "", "id_delete-confirm": ""},
    }


def test_deleting_twice_finds_nothing_the_second_time(workspace, candidate):
    candidate_delete(workspace=workspace, email=EMAIL)
    again = candidate_delete(workspace=workspace, email=EMAIL)
    assert (again.runs, again.answers, again.webhook_bodies) == (0, 0, 0)


def test_plain_members_cannot_use_privacy_actions(client, workspace, candidate):
    member = MembershipFactory(workspace=workspace, role=Role.MEMBER).user
    client.force_login(member)
    assert client.post("/workspace/privacy/export/", {"export-email": EMAIL}).status_code == 403
    assert (
        client.post("/workspace/privacy/delete/", {"delete-email": EMAIL, "delete-confirm": "on"}).status_code
        == 403
    )
    assert AssessmentRun.objects.get(pk=candidate["active"].pk).status == RunStatus.INVITED


def test_security_page_shows_region_window_and_two_factor_status(client_in_workspace, workspace):
    page = client_in_workspace.get("/workspace/security/").content.decode()
    assert workspace.get_data_region_display() in page
    assert f"{workspace.retention_days} days" in page
    assert "Two-factor authentication" in page


def test_deleting_a_candidate_erases_the_synced_ats_copy_too(workspace):
    from integrations.sync.models import Candidate as SyncedCandidate
    from jobcannon.audit.privacy import candidate_delete
    from tests.factories import IntegrationFactory

    integration = IntegrationFactory(workspace=workspace)
    SyncedCandidate.objects.create(
        integration=integration, external_id="cand-sync-1", email="erase.me@example.com", name="Erase Me"
    )
    candidate_delete(workspace=workspace, email="erase.me@example.com")
    synced = SyncedCandidate.objects.get(integration=integration, external_id="cand-sync-1")
    assert synced.email != "erase.me@example.com" and "Erase" not in (synced.name or "")


# --- Issue 21: exact addresses only ---------------------------------------------------------------


def _delivery(integration, body: dict | bytes) -> WebhookEvent:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return WebhookEvent.objects.create(
        provider="fake", integration=integration, status=WebhookStatus.PROCESSED, body=raw
    )


def test_export_and_delete_match_the_whole_address_not_a_substring(client_in_workspace, workspace):
    integration = IntegrationFactory(workspace=workspace)
    mine = _delivery(integration, {"candidate": {"email": "A@B.co", "name": "Ann"}})
    in_text = _delivery(integration, {"note": "Forwarded by Ann <a@b.co>."})
    joanna = _delivery(integration, {"candidate": {"email": "joanna@b.com"}})
    longer = _delivery(integration, {"candidate": {"email": "a@b.co.uk"}})
    form_body = _delivery(integration, b"email=joanna%40b.com&other=xa@b.col")

    data = json.loads(
        client_in_workspace.post("/workspace/privacy/export/", {"export-email": "a@b.co"}).content
    )
    assert sorted(d["id"] for d in data["webhook_deliveries"]) == sorted([mine.pk, in_text.pk])

    candidate_delete(workspace=workspace, email="a@b.co")
    for kept in (joanna, longer, form_body):
        kept.refresh_from_db()
        assert bytes(kept.body), "another person's delivery must not be purged"
    for purged in (mine, in_text):
        purged.refresh_from_db()
        assert bytes(purged.body) == b""


def test_an_address_with_an_international_domain_is_found_as_sent_and_as_json_escapes(
    client_in_workspace, workspace
):
    integration = IntegrationFactory(workspace=workspace)
    utf8 = _delivery(integration, json.dumps({"email": "Zoe@Exämple.de"}, ensure_ascii=False).encode())
    escaped = _delivery(integration, json.dumps({"note": "from Zoe <zoe@exämple.de>"}).encode())  # \u00e4
    other = _delivery(integration, json.dumps({"email": "zoe@exämple.dev"}, ensure_ascii=False).encode())
    cut = _delivery(
        integration, json.dumps({"email": "joe@ex"}).encode()
    )  # where ASCII-only matching stopped

    data = json.loads(
        client_in_workspace.post("/workspace/privacy/export/", {"export-email": "zoe@exämple.de"}).content
    )
    assert sorted(d["id"] for d in data["webhook_deliveries"]) == sorted([utf8.pk, escaped.pk])
    candidate_delete(workspace=workspace, email="zoe@exämple.de")
    for event, purged in ((utf8, True), (escaped, True), (other, False), (cut, False)):
        event.refresh_from_db()
        assert (bytes(event.body) == b"") is purged


def test_export_includes_the_synced_ats_copy_of_the_candidate_with_their_applications(
    client_in_workspace, workspace
):
    from integrations.sync.models import Application, Job
    from integrations.sync.models import Candidate as SyncedCandidate

    integration = IntegrationFactory(workspace=workspace)
    job = Job.objects.create(integration=integration, external_id="job-1", title="Data Analyst")
    mine = SyncedCandidate.objects.create(
        integration=integration, external_id="c-1", email="Export.Me@example.com", name="Export Me", phone="+1 555 0100"
    )  # fmt: skip
    Application.objects.create(
        integration=integration, external_id="app-1", candidate=mine, job=job, stage_title="Screen", status="active"
    )  # fmt: skip
    SyncedCandidate.objects.create(integration=integration, external_id="c-2", email="someone@example.com")
    SyncedCandidate.objects.create(
        integration=IntegrationFactory(), external_id="c-3", email="export.me@example.com"
    )

    data = json.loads(
        client_in_workspace.post(
            "/workspace/privacy/export/", {"export-email": "export.me@example.com"}
        ).content
    )

    assert [r["external_id"] for r in data["ats_records"]] == ["c-1"]  # this workspace's, this person's
    record = data["ats_records"][0]
    assert (record["name"], record["phone"], record["provider"]) == ("Export Me", "+1 555 0100", "fake")
    assert record["applications"] == [
        {
            "external_id": "app-1",
            "job": "Data Analyst",
            "stage": "Screen",
            "status": "active",
            "applied_at": None,
        }
    ]
    assert AuditEvent.objects.get(action="privacy.exported").data["synced_candidates"] == 1


def test_export_and_delete_find_addresses_as_json_keys_and_form_encoded_but_still_whole(
    client_in_workspace, workspace
):
    integration = IntegrationFactory(workspace=workspace)
    as_key = _delivery(integration, {"answers_by_candidate": {"A@b.co": {"score": 3}}})
    form = _delivery(integration, b"name=Ann+Smith&email=a%40b.co&consent=yes")
    form_upper = _delivery(integration, b"email=A%40B.CO")
    in_a_link = _delivery(integration, {"profile": "https://ats.example/c?email=a%40b.co&ref=1"})
    longer_key = _delivery(integration, {"by": {"a@b.co.uk": 1, "xa@b.co": 2}})
    longer_form = _delivery(integration, b"email=a%40b.co.uk&cc=joanna%40b.co")
    plus_kept = _delivery(integration, {"note": "x=1, contact+a@b.co"})  # a plus in a JSON string is a plus

    data = json.loads(
        client_in_workspace.post("/workspace/privacy/export/", {"export-email": "a@b.co"}).content
    )
    found = sorted(d["id"] for d in data["webhook_deliveries"])
    assert found == sorted([as_key.pk, form.pk, form_upper.pk, in_a_link.pk])

    candidate_delete(workspace=workspace, email="a@b.co")
    for event, purged in (
        (as_key, True), (form, True), (form_upper, True), (in_a_link, True),
        (longer_key, False), (longer_form, False), (plus_kept, False),
    ):  # fmt: skip
        event.refresh_from_db()
        assert (bytes(event.body) == b"") is purged, event.body


def test_export_lists_deliveries_no_integration_was_found_for_without_their_body(
    client_in_workspace, workspace
):
    """A seed-route delivery (no integration in its address) that no secret verified is stored
    with no integration: it is searched too, among the ATSs the workspace is connected to."""
    IntegrationFactory(workspace=workspace)  # the fake provider
    unmatched = WebhookEvent.objects.create(
        provider="fake", integration=None, status=WebhookStatus.REJECTED,
        rejection_reason="wrong secret", body=json.dumps({"email": EMAIL}).encode(),
    )  # fmt: skip
    WebhookEvent.objects.create(
        provider="lever", integration=None, status=WebhookStatus.REJECTED, body=json.dumps({"email": EMAIL}).encode()
    )  # fmt: skip
    WebhookEvent.objects.create(
        provider="fake", integration=None, status=WebhookStatus.REJECTED, body=b'{"email": "x@example.com"}'
    )  # fmt: skip

    data = json.loads(client_in_workspace.post("/workspace/privacy/export/", {"export-email": EMAIL}).content)
    assert [(d["id"], d["matched_integration"]) for d in data["webhook_deliveries"]] == [
        (unmatched.pk, False)
    ]
    # Not known to be this workspace's (it may be another customer's delivery): listed, not shown.
    assert data["webhook_deliveries"][0]["body"] is None


def test_a_deletion_request_leaves_another_tenants_unclaimed_delivery_to_expire(workspace, settings):
    """Deletion matches the export: a delivery no integration claimed may be another customer's
    (here it is: another tenant on the same ATS, its secret mistyped), so one workspace's request
    does not erase it; it expires with the rejected rows no integration claimed, and the deletion
    says so. The workspace's own delivery is purged by the same request."""
    settings.WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS = 7
    ours = IntegrationFactory(workspace=workspace)  # the fake provider
    IntegrationFactory(provider="fake")  # another tenant, connected to the same ATS
    own = _delivery(ours, {"email": EMAIL})
    theirs = WebhookEvent.objects.create(
        provider="fake", integration=None, status=WebhookStatus.REJECTED,
        rejection_reason="wrong secret", body=json.dumps({"candidate": {"email": EMAIL}}).encode(),
    )  # fmt: skip

    outcome = candidate_delete(workspace=workspace, email=EMAIL)

    theirs.refresh_from_db()
    own.refresh_from_db()
    assert json.loads(bytes(theirs.body)) == {"candidate": {"email": EMAIL}}
    assert bytes(own.body) == b""
    assert (outcome.webhook_bodies, outcome.webhook_bodies_unclaimed) == (1, 1)
    audit = AuditEvent.objects.get(action="privacy.candidate_deleted", workspace=workspace)
    assert (
        "1 delivery(ies) no integration claimed, possibly another customer's, left to expire within 7 days"
        in (audit.message)
    )
    assert audit.data["webhook_bodies_unclaimed"] == 1


def test_the_deletion_page_tells_the_admin_about_unclaimed_deliveries_left_to_expire(
    client_in_workspace, workspace, settings
):
    settings.WEBHOOK_REJECTED_UNMATCHED_RETENTION_DAYS = 7
    IntegrationFactory(workspace=workspace)
    WebhookEvent.objects.create(
        provider="fake", integration=None, status=WebhookStatus.REJECTED,
        rejection_reason="wrong secret", body=json.dumps({"candidate": {"email": EMAIL}}).encode(),
    )  # fmt: skip

    page = client_in_workspace.post(
        "/workspace/privacy/delete/", {"delete-email": EMAIL, "delete-confirm": "on"}, follow=True
    ).content.decode()

    assert "1 rejected webhook delivery(ies) that no integration claimed mention the address" in page
    assert "they expire within 7 days" in page


def test_export_and_delete_find_an_address_the_sender_json_escaped(client_in_workspace, workspace):
    """A JSON encoder may escape any character, ASCII included ("a\\u0040b.co" is a@b.co):
    the delivery is found and purged; a near miss written the same way is not."""
    integration = IntegrationFactory(workspace=workspace)
    escaped = _delivery(integration, b'{"candidate": {"email": "a\\u0040b.co"}}')
    all_escaped = _delivery(integration, b'{"to": "\\u0041\\u0040\\u0042\\u002e\\u0063\\u006f"}')
    near_miss = _delivery(integration, b'{"candidate": {"email": "xa\\u0040b.co"}}')
    longer = _delivery(integration, b'{"candidate": {"email": "a\\u0040b.co.uk"}}')

    data = json.loads(
        client_in_workspace.post("/workspace/privacy/export/", {"export-email": "a@b.co"}).content
    )
    assert sorted(d["id"] for d in data["webhook_deliveries"]) == sorted([escaped.pk, all_escaped.pk])

    candidate_delete(workspace=workspace, email="a@b.co")
    for event, purged in ((escaped, True), (all_escaped, True), (near_miss, False), (longer, False)):
        event.refresh_from_db()
        assert (bytes(event.body) == b"") is purged, event.body


def test_export_and_delete_find_the_address_quoted_or_marked_up_in_a_note(client_in_workspace, workspace):
    """RFC 5322 allows quotes, `*`, backticks, braces and `#` in a local part, but in an ATS note
    around an address they are quotes and Markdown: the address is still the candidate's, so the
    delivery is exported and purged; another person's quoted or bold address is not."""
    integration = IntegrationFactory(workspace=workspace)
    quoted = _delivery(integration, {"note": "Candidate asked us to use 'a@b.co' from now on."})
    bold = _delivery(integration, {"feedback": "**Email:** **a@b.co**"})
    html = _delivery(integration, b"<p>Email: 'a@b.co'</p>")
    code = _delivery(integration, {"note": "`a@b.co` or {a@b.co} or #a@b.co"})
    others = [
        _delivery(integration, {"note": "Use 'xa@b.co' instead."}),
        _delivery(integration, {"feedback": "**o'a@b.co** and **a@b.co.uk**"}),
    ]

    data = json.loads(
        client_in_workspace.post("/workspace/privacy/export/", {"export-email": "a@b.co"}).content
    )
    assert sorted(d["id"] for d in data["webhook_deliveries"]) == sorted(
        e.pk for e in (quoted, bold, html, code)
    )

    outcome = candidate_delete(workspace=workspace, email="a@b.co")
    assert outcome.webhook_bodies == 4
    for event, purged in (
        (quoted, True),
        (bold, True),
        (html, True),
        (code, True),
        *((o, False) for o in others),
    ):
        event.refresh_from_db()
        assert (bytes(event.body) == b"") is purged, event.body
