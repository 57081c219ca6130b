"""Write-back to Ashby: which outbox rows a run event makes, the assessment.update bodies (blobs,
strictly increasing timestamps), the scorecard note, and failures explained in Ashby's terms."""

import json
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from integrations.models import IntegrationStatus, WritebackMessage, WritebackStatus
from integrations.providers.ashby import constants
from integrations.registry import get_provider
from integrations.services.writeback import writeback_deliver
from tests.assessments.scale_checks import contradicting_figures

from .helpers import ashby_integration, scored_run

UPDATE = constants.API_BASE + "/assessment.update"
NOTE = constants.API_BASE + "/candidate.createNote"


def message(integration, run, kind, event):
    return WritebackMessage.objects.create(
        integration=integration, run=run, kind=kind, event=event, idempotency_key=f"{run.pk}:{kind}:{event}"
    )


def sent(mocked_responses, url=UPDATE) -> list[dict]:
    return [json.loads(c.request.body) for c in mocked_responses.calls if c.request.url == url]


@pytest.fixture
def integration(db):
    return ashby_integration()


@pytest.mark.django_db
def test_run_events_map_to_outbox_kinds(integration):
    provider = get_provider("ashby")
    run = scored_run(integration)
    assert provider.on_run_event(integration, run, "started") == [constants.KIND_ASSESSMENT_UPDATE]
    assert provider.on_run_event(integration, run, "completed") == [
        constants.KIND_SCORECARD,
        constants.KIND_ASSESSMENT_UPDATE,
    ]
    assert provider.on_run_event(integration, run, "cancelled") == [constants.KIND_ASSESSMENT_UPDATE]
    assert provider.on_run_event(integration, run, "expired") == [constants.KIND_ASSESSMENT_UPDATE]
    run.external_assessment_id = ""
    assert provider.on_run_event(integration, run, "completed") == [], "a run Ashby did not start"


@pytest.mark.django_db
def test_completed_update_carries_score_report_and_metadata_blobs(integration, mocked_responses):
    run = scored_run(integration, overall=81)
    mocked_responses.post(UPDATE, json={"success": True, "results": {}})
    writeback_deliver(message_id=message(integration, run, constants.KIND_ASSESSMENT_UPDATE, "completed").pk)
    body = sent(mocked_responses)[0]
    assert body["assessment_id"] == "0b7d0b8e-4c1b-4f3e-9a55-5d1f0a9c0001"
    assert body["assessment_status"]["value"] == "Completed"
    assert body["assessment_result"] == {
        "identifier": "score",
        "label": "Score",
        "type": "numeric_score",
        "value": 81,
    }
    assert body["assessment_profile_url"]["type"] == "url"
    assert body["assessment_profile_url"]["value"].startswith("http://testserver/")
    meta = {m["identifier"]: m for m in body["metadata"]}
    assert meta["score-max"]["value"] == 100 and meta["score-max"]["type"] == "numeric_score"
    assert meta["duration"] == {
        "identifier": "duration",
        "label": "Time taken",
        "type": "numeric_duration_minutes",
        "value": 42,
    }
    assert meta["dimension-O"]["value"] == 42.4, "the raw score on Big Five's 10–50 range"
    assert all({"identifier", "label", "type", "value"} <= set(m) for m in body["metadata"])
    assert len(meta) == len(body["metadata"]), "identifiers are unique"
    assert WritebackMessage.objects.get().status == WritebackStatus.DELIVERED


@pytest.mark.django_db
def test_cancelled_and_expired_send_cancelled_reason(integration, mocked_responses):
    mocked_responses.post(UPDATE, json={"success": True})
    run = scored_run(integration)
    run.status, run.cancelled_reason, run.cancelled_at = "cancelled", "Position filled", timezone.now()
    run.save()
    writeback_deliver(message_id=message(integration, run, constants.KIND_ASSESSMENT_UPDATE, "cancelled").pk)
    other = scored_run(integration, assessment_id="0b7d0b8e-4c1b-4f3e-9a55-5d1f0a9c0002")
    other.status, other.expired_at = "expired", timezone.now()
    other.save()
    writeback_deliver(message_id=message(integration, other, constants.KIND_ASSESSMENT_UPDATE, "expired").pk)
    cancelled, expired = sent(mocked_responses)
    assert (
        cancelled["cancelled_reason"]["value"] == "Position filled" and "assessment_status" not in cancelled
    )
    assert expired["cancelled_reason"]["value"].startswith("Expired")


@pytest.mark.django_db
def test_timestamps_increase_strictly_even_when_events_share_a_millisecond(integration, mocked_responses):
    mocked_responses.post(UPDATE, json={"success": True})
    run = scored_run(integration)
    same = timezone.now()
    run.invited_at = run.started_at = run.completed_at = same
    run.save()
    writeback_deliver(message_id=message(integration, run, constants.KIND_ASSESSMENT_UPDATE, "started").pk)
    writeback_deliver(message_id=message(integration, run, constants.KIND_ASSESSMENT_UPDATE, "completed").pk)
    started, completed = sent(mocked_responses)
    invited_ms = int(same.timestamp() * 1000)
    assert invited_ms < started["timestamp"] < completed["timestamp"]


@pytest.mark.django_db
def test_redelivery_sends_the_same_timestamp(integration, mocked_responses):
    mocked_responses.post(UPDATE, json={"success": True})
    run = scored_run(integration)
    writeback_deliver(message_id=message(integration, run, constants.KIND_ASSESSMENT_UPDATE, "completed").pk)
    from integrations.services.writeback import writeback_replay

    writeback_replay(message=WritebackMessage.objects.get())
    writeback_deliver(message_id=WritebackMessage.objects.get().pk)
    first, second = sent(mocked_responses)
    assert first["timestamp"] == second["timestamp"]


@pytest.mark.django_db
def test_late_started_update_is_not_sent_after_the_result(integration, mocked_responses):
    mocked_responses.post(UPDATE, json={"success": True})
    run = scored_run(integration)
    completed = message(integration, run, constants.KIND_ASSESSMENT_UPDATE, "completed")
    started = message(integration, run, constants.KIND_ASSESSMENT_UPDATE, "started")
    writeback_deliver(message_id=completed.pk)
    writeback_deliver(message_id=started.pk)
    assert [b["assessment_status"]["value"] for b in sent(mocked_responses)] == ["Completed"]
    started.refresh_from_db()
    assert started.status == WritebackStatus.DELIVERED


@pytest.mark.django_db
def test_scorecard_is_an_html_note_on_the_candidate(integration, mocked_responses):
    mocked_responses.post(NOTE, json={"success": True, "results": {"id": "note-1"}})
    run = scored_run(integration, overall=64)
    writeback_deliver(message_id=message(integration, run, constants.KIND_SCORECARD, "completed").pk)
    body = sent(mocked_responses, NOTE)[0]
    assert body["candidateId"] == "cand-1" and body["sendNotifications"] is False
    assert body["note"]["type"] == "text/html"
    assert "64 of 100" in body["note"]["value"] and "Openness" in body["note"]["value"]
    assert WritebackMessage.objects.get().external_ref == "note-1"


class NoteTree(HTMLParser):
    """The note as a tree: (tag, [children]) elements, text as str; the root's tag is ""."""

    def __init__(self):
        super().__init__()
        self.root = ("", [])
        self.stack = [self.root]
        self.seen: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.seen.add(tag)
        element = (tag, [])
        self.stack[-1][1].append(element)
        self.stack.append(element)

    def handle_endtag(self, tag):
        assert self.stack[-1][0] == tag, f"</{tag}> closes <{self.stack[-1][0]}>"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1][1].append(data)


def text_of(node) -> str:
    return node if isinstance(node, str) else "".join(text_of(child) for child in node[1])


def note_tree(note: str) -> NoteTree:
    tree = NoteTree()
    tree.feed(note)
    tree.close()
    assert tree.stack == [tree.root], "every element is closed"
    return tree


@pytest.mark.django_db
def test_scorecard_note_uses_only_the_tags_candidate_create_note_keeps(integration, mocked_responses):
    """Ashby's OpenAPI, candidate.createNote: text/html supports <b> <i> <u> <a> <ul> <ol> <li>
    <code> <pre>; "any unsupported elements will be stripped out". No <p>, no <br>, and a newline
    between elements is only whitespace in HTML: every part (title, dimensions, summary, report
    link) is its own <li> of one list, so none runs into the next when Ashby renders it."""
    mocked_responses.post(NOTE, json={"success": True, "results": {"id": "note-1"}})
    run = scored_run(integration)
    writeback_deliver(message_id=message(integration, run, constants.KIND_SCORECARD, "completed").pk)
    tree = note_tree(sent(mocked_responses, NOTE)[0]["note"]["value"])
    assert tree.seen and tree.seen <= {"b", "i", "u", "a", "ul", "ol", "li", "code", "pre"}, tree.seen
    [top] = [n for n in tree.root[1] if not (isinstance(n, str) and not n.strip())]
    assert top[0] == "ul", "nothing outside the one list"
    blocks = [n for n in top[1] if not (isinstance(n, str) and not n.strip())]
    assert all(not isinstance(b, str) and b[0] == "li" for b in blocks), blocks
    texts = [text_of(b) for b in blocks]
    assert texts[0] == "JobCannon Big Five personality: overall 72 of 100"
    assert texts[1].startswith("Dimensions") and "Openness: 38.8 on the 10–50 scale" in texts[1]
    assert texts[2] == "Curious and flexible.", "the summary is a block of its own"
    assert texts[3] == "Full report", "the report link is a block of its own"
    [link] = [n for n in blocks[3][1] if not isinstance(n, str)]
    assert link[0] == "a"
    dimensions = [n for n in blocks[1][1] if not isinstance(n, str)]
    assert [d[0] for d in dimensions] == ["ul"], "the dimensions are a nested list"
    assert [text_of(li) for li in dimensions[0][1] if not isinstance(li, str)] == [
        "Openness: 38.8 on the 10–50 scale",
        "Conscientiousness: 20 on the 10–50 scale",
    ]


@pytest.mark.django_db
def test_scorecard_sub_scores_are_on_the_instruments_own_scale(integration, mocked_responses):
    """Big Five v1 (assessments/catalog/big5/v1.json): 10 items a dimension on a 1–5 scale, so a
    dimension's raw score runs 10–50; the note and assessment.update say so, with no 0–100
    position dressed up as a score "of 100"."""
    mocked_responses.post(NOTE, json={"success": True, "results": {"id": "note-1"}})
    mocked_responses.post(UPDATE, json={"success": True, "results": {}})
    run = scored_run(integration, overall=72)
    writeback_deliver(message_id=message(integration, run, constants.KIND_SCORECARD, "completed").pk)
    writeback_deliver(message_id=message(integration, run, constants.KIND_ASSESSMENT_UPDATE, "completed").pk)
    note = sent(mocked_responses, NOTE)[0]["note"]["value"]
    assert "<li>Openness: 38.8 on the 10–50 scale</li>" in note
    assert "<li>Conscientiousness: 20 on the 10–50 scale</li>" in note
    assert "/100" not in note and note.count("of 100") == 1, "only the overall score is out of 100"
    dims = {b["identifier"]: b for b in sent(mocked_responses, UPDATE)[0]["metadata"]}
    assert dims["dimension-O"]["value"] == 38.8 and dims["dimension-O"]["label"] == "Openness (10–50)"
    assert dims["dimension-O"]["description"] == "38.8 on the 10–50 scale"
    assert dims["dimension-C"]["value"] == 20


def scored_from_answers(integration, key: str, answers_for):
    """A run of instrument `key` v1 scored by assessments.scoring from real answers
    (`answers_for(instrument)`), stored as a submitted run stores it: score, dimensions and the
    scorer's own summary (not a fixture's sentence)."""
    from assessments.catalog import instrument_get
    from assessments.models import Result
    from assessments.scoring import score_answers

    instrument = instrument_get(key, "1")
    score = score_answers(instrument, answers_for(instrument))
    run = scored_run(integration)
    run.instrument, run.instrument_version = key, "1"
    run.save()
    Result.objects.filter(run=run).update(
        overall_score=score.overall, dimensions=score.dimension_records(), summary=score.summary
    )
    return run, score


def what_ashby_reads(mocked_responses, integration, run) -> tuple[str, list[dict]]:
    """The scorecard note's HTML and the assessment.update metadata Ashby gets for a completed run."""
    mocked_responses.post(NOTE, json={"success": True, "results": {"id": "note-1"}})
    mocked_responses.post(UPDATE, json={"success": True, "results": {}})
    writeback_deliver(message_id=message(integration, run, constants.KIND_SCORECARD, "completed").pk)
    writeback_deliver(message_id=message(integration, run, constants.KIND_ASSESSMENT_UPDATE, "completed").pk)
    return sent(mocked_responses, NOTE)[0]["note"]["value"], sent(mocked_responses, UPDATE)[0]["metadata"]


def blobs_text(metadata: list[dict]) -> str:
    return "\n".join(f"{b['label']}: {b['value']} {b.get('description', '')}" for b in metadata)


@pytest.mark.django_db
def test_a_disc_result_reaches_ashby_on_discs_own_6_to_30_scale(integration, mocked_responses):
    """DISC v1 (assessments/catalog/disc/v1.json): 6 items a style on a 1–5 scale, so each style
    runs 6–30. Scored by assessments.scoring from real answers, then written to Ashby: the note,
    its summary and the assessment.update metadata (summary blob included) give each style on
    6–30 only, never on Big Five's 10–50 or as a 0–100 position ("Dominance (83/100)")."""
    run, score = scored_from_answers(
        integration, "disc", lambda disc: {i.id: 5 if i.dimension == "D" else 2 for i in disc.items}
    )
    note, metadata = what_ashby_reads(mocked_responses, integration, run)

    by_key = {d.key: d for d in score.dimensions}
    assert f"<b>JobCannon DISC work style: overall {score.overall} of 100</b>" in note
    for d in score.dimensions:
        assert f"<li>{d.label}: {d.raw:g} on the 6–30 scale</li>" in note
    assert "10–50" not in note
    assert "<i>Primary style: Dominance (26 on the 6–30 scale)" in note, "the scorer's summary, in the note"
    assert contradicting_figures(note, score.dimensions) == []
    dims = {b["identifier"]: b for b in metadata}
    assert {k: dims[f"dimension-{k}"]["value"] for k in "DISC"} == {k: by_key[k].raw for k in "DISC"}
    assert {dims[f"dimension-{k}"]["label"] for k in "DISC"} == {f"{by_key[k].label} (6–30)" for k in "DISC"}
    assert dims["summary"]["value"] == score.summary
    assert contradicting_figures(blobs_text(metadata), score.dimensions) == []


@pytest.mark.django_db
def test_a_big_five_result_and_its_summary_reach_ashby_on_10_to_50(integration, mocked_responses):
    """Big Five v1, every answer 4: the scorer's summary names each domain's band with its raw
    score on 10–50, the figure the note's dimension list and the dimension-* blobs give."""
    run, score = scored_from_answers(integration, "big5", lambda big5: {i.id: 4 for i in big5.items})
    note, metadata = what_ashby_reads(mocked_responses, integration, run)

    assert "<li>Extraversion: 30 on the 10–50 scale</li>" in note
    assert "Extraversion: moderate (30 on the 10–50 scale)" in note, "the summary agrees with the list"
    assert contradicting_figures(note, score.dimensions) == []
    assert contradicting_figures(blobs_text(metadata), score.dimensions) == []
    assert note.count("of 100") == 1, "only the overall score is out of 100"


def test_dimension_scales_come_from_each_instrument():
    from assessments.catalog import instrument_get
    from integrations.providers.ashby.mappers import dimension_scales

    assert dimension_scales(instrument_get("big5", "1"))["O"] == (10, 50)
    assert set(dimension_scales(instrument_get("disc", "1")).values()) == {(6, 30)}
    assert set(dimension_scales(instrument_get("eq", "1")).values()) == {(5, 25)}


@pytest.mark.django_db
def test_success_false_is_a_dead_letter_with_ashbys_message(integration, mocked_responses):
    mocked_responses.post(
        UPDATE,
        json={
            "success": False,
            "errors": ["invalid_input"],
            "errorInfo": {"code": "invalid_input", "message": "assessment_id unknown", "requestId": "01X"},
        },
    )
    run = scored_run(integration)
    writeback_deliver(message_id=message(integration, run, constants.KIND_ASSESSMENT_UPDATE, "completed").pk)
    row = WritebackMessage.objects.get()
    assert row.status == WritebackStatus.DEAD and "assessment_id unknown" in row.last_error


@pytest.mark.django_db
def test_missing_endpoint_permission_holds_the_write_naming_the_permission(integration, mocked_responses):
    """An API key lacking candidatesWrite: connected, the permission named, the write held
    (test_api_key_scopes.py has the panel and the OAuth case, which still needs re-authorization)."""
    mocked_responses.post(
        UPDATE,
        status=403,
        json={
            "success": False,
            "errors": [{"message": "missing_endpoint_permission", "parameter": "candidatesWrite"}],
        },
    )
    run = scored_run(integration)
    writeback_deliver(message_id=message(integration, run, constants.KIND_ASSESSMENT_UPDATE, "completed").pk)
    integration.refresh_from_db()
    row = WritebackMessage.objects.get()
    assert integration.status == IntegrationStatus.CONNECTED
    assert row.status == WritebackStatus.RETRYING and row.last_error_class == "PermissionMissing"
    assert "missing_endpoint_permission" in row.last_error and "candidatesWrite" in row.last_error
    assert list(integration.provider_settings["missing_permissions"]) == ["candidatesWrite"]


@pytest.mark.django_db
def test_rate_limit_in_a_200_body_is_retried(integration, mocked_responses):
    mocked_responses.post(
        UPDATE,
        json={
            "success": False,
            "errors": ["rate_limit_exceeded"],
            "errorInfo": {"code": "rate_limit_exceeded", "message": "slow down"},
        },
    )
    run = scored_run(integration)
    writeback_deliver(message_id=message(integration, run, constants.KIND_ASSESSMENT_UPDATE, "completed").pk)
    row = WritebackMessage.objects.get()
    assert row.status == WritebackStatus.RETRYING
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=3)
