"""Issue 21: privacy export and delete match the candidate's exact address, also where a vendor
puts it in a URL path or query or after `key=` inside a JSON string, and wherever a person would
read it as that address: quoted or marked up in a note ('a@b.co', **a@b.co**, `a@b.co`), in HTML,
or escaped; another person's address that merely contains it (`xa@b.co`, `a@b.co.uk`,
`joanna@b.com`, `o'a@b.co`) is never matched."""

import json
import time

import pytest

from integrations.models import WebhookEvent, WebhookStatus
from jobcannon.audit.privacy import body_mentions_address, candidate_delete
from tests.factories import IntegrationFactory

pytestmark = pytest.mark.django_db

EMAIL = "a@b.co"
MENTIONS = {
    "query": {"link": "https://ats.example/c?email=a@b.co"},
    "query_later_field": {"link": "https://ats.example/c?ref=1&email=A@B.co#top"},
    "path": {"path": "/candidates/a@b.co"},
    "path_then_query": {"link": "https://ats.example/candidates/a@b.co?tab=notes"},
    "key_value": {"note": "contact=a@b.co"},
    "key_value_in_a_sentence": {"note": "Forwarded; contact=a@b.co, thanks."},
    "percent_encoded_path": {"link": "https://ats.example/candidates/a%40b.co"},
    "percent_encoded_query": {"link": "https://ats.example/c?email=a%40b.co"},
    "url_fragment": {"link": "https://ats.example/c#a@b.co"},
    # Quoted or marked up in a note: RFC 5322 allows these symbols in a local part, but no
    # person's address holds them, and around an address they are the note's.
    "in_angle_brackets": {"note": "Ada <a@b.co>"},
    "ending_a_sentence": {"note": "mail a@b.co."},
    "upper_case": {"note": "A@B.CO"},
    "first_of_a_list": {"note": "a@b.co,c@d.co"},
    "after_another_address_and_a_slash": {"note": "c@d.co/a@b.co"},
    "double_quoted": {"note": '"a@b.co"'},
    "mailto_with_a_query": {"html": '<a href="mailto:a@b.co?subject=x">x</a>'},
    "single_quoted": {"note": "email 'a@b.co' please"},
    "curly_quoted": {"note": "email \u2018a@b.co\u2019 please"},
    "markdown_bold": {"note": "**a@b.co**"},
    "markdown_bold_right_after_a_word": {"note": "Email**a@b.co**"},
    "markdown_italic": {"note": "_a@b.co_"},
    "markdown_code": {"note": "`a@b.co`"},
    "markdown_strikethrough": {"note": "~~a@b.co~~"},
    "markdown_table_cell": {"note": "|Ada|a@b.co|"},
    "markdown_link": {"note": "[a@b.co](mailto:a@b.co)"},
    "braces": {"note": "{a@b.co}"},
    "hash": {"note": "#a@b.co"},
    "diff_lines": {"note": "-a@b.co\n+a@b.co"},
    "other_symbols": {"note": "^a@b.co^ !a@b.co! $a@b.co$ %a@b.co%"},
    "ellipsis_then_address": {"note": "Contact...a@b.co"},
    "after_an_exclamation_mark": {"note": "Reach me!a@b.co"},
    "leading_dot": {"note": "see .a@b.co"},
    "html_single_quoted": b"<p>Email: 'a@b.co'</p>",
    "html_entity_quotes": {"html": "<p>&#39;a@b.co&#39; or &quot;a@b.co&quot;</p>"},
    "html_entity_at_sign": {"html": "<p>a&#64;b.co</p>"},
    "form_encoded_quotes": b"note=%27a%40b.co%27",
    "form_plus_is_a_space": b"note=contact+a%40b.co",
    # A JSON document inside a string keeps its escapes once the outer one is parsed; a body cut
    # short no longer parses at all.
    "nested_json_escaped_quotes": {"payload": '{"note": "\\u0027a@b.co\\u0027"}'},
    "nested_json_newline": {"payload": json.dumps({"note": "Hi\na@b.co"})},
    "body_cut_short": b'{"note": "Hi\\na@b.co", "more": "',
}
OTHER_PEOPLE = {
    "longer_local_part": {"path": "/candidates/xa@b.co"},
    "longer_domain": {"link": "https://ats.example/c?email=a@b.co.uk"},
    "substring": {"note": "contact=joanna@b.com"},
    "plus_is_part_of_the_address": {"note": "contact+a@b.co"},
    "longer_local_part_after_key": {"note": "contact=xa@b.co"},
    "percent_encoded_longer_domain": {"link": "https://ats.example/c?email=a%40b.co.uk"},
    "subaddress": {"note": "a+x@b.co"},
    "apostrophe_in_a_name": {"note": "o'a@b.co"},
    "underscore_in_the_local_part": {"note": "x_a@b.co"},
    "hyphen_in_the_local_part": {"note": "x-a@b.co"},
    "dot_in_the_local_part": {"note": "x.a@b.co"},
    # RFC 5322 atext symbols that continue a local part after a letter or digit.
    "tilde_in_the_local_part": {"note": "x~a@b.co"},
    "dollar_in_the_local_part": {"note": "x$a@b.co"},
    "caret_in_the_local_part": {"note": "x^a@b.co"},
    "percent_in_the_local_part": {"note": "x%a@b.co"},
    "backtick_in_the_local_part": {"note": "x`a@b.co"},
    "quoted_longer_local_part": {"note": "'xa@b.co'"},
    "bold_longer_local_part": {"note": "**xa@b.co**"},
    "quoted_longer_domain": {"note": "'a@b.co.uk'"},
    "bold_longer_domain": {"note": "**a@b.co.uk**"},
    "domain_going_on_after_a_hyphen": {"note": "a@b.co-op.example"},
    "domain_going_on_beyond_ascii": {"note": "a@b.co\u00e4.example"},
    "html_longer_local_part": b"<p>Email: 'xa@b.co'</p>",
    "nested_json_longer_local_part": {"payload": '{"note": "\\u0078a@b.co"}'},
    "body_cut_short_longer": b'{"note": "Hi xa@b.co", "more": "',
    "html_plus_is_a_plus": b"<p>Contact: contact+a@b.co</p>",  # not a form: `+` is no space
}


def _body(value: dict | bytes) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


@pytest.mark.parametrize("name", sorted(MENTIONS))
def test_the_address_is_found_in_urls_quotes_markup_and_escapes(name):
    assert body_mentions_address(_body(MENTIONS[name]), EMAIL)


@pytest.mark.parametrize("name", sorted(OTHER_PEOPLE))
def test_another_persons_address_is_not_found(name):
    assert not body_mentions_address(_body(OTHER_PEOPLE[name]), EMAIL)


def test_an_address_written_with_a_letter_and_a_combining_mark_is_found():
    assert body_mentions_address(_body({"email": "Zoe\u0301@b.co"}), "zo\u00e9@b.co")
    assert not body_mentions_address(_body({"email": "zoe\u0301x@b.co"}), "zo\u00e9@b.co")
    assert not body_mentions_address(_body({"email": "a@b.co\u0301"}), EMAIL)  # b.có, a longer domain


def test_a_needle_holding_a_delimiter_is_still_compared_whole():
    assert body_mentions_address(_body({"link": "https://ats.example/c?email=x=a@b.co"}), "x=a@b.co")
    assert not body_mentions_address(_body({"note": "y=a@b.co"}), "x=a@b.co")


def test_export_lists_and_delete_purges_exactly_those_deliveries(client_in_workspace, workspace):
    integration = IntegrationFactory(workspace=workspace)
    events = {
        name: WebhookEvent.objects.create(
            provider="fake", integration=integration, status=WebhookStatus.PROCESSED, body=_body(value)
        )
        for name, value in {**MENTIONS, **OTHER_PEOPLE}.items()
    }

    export = client_in_workspace.post("/workspace/privacy/export/", {"export-email": EMAIL})
    listed = {d["id"] for d in json.loads(export.content)["webhook_deliveries"]}
    assert listed == {events[name].pk for name in MENTIONS}

    outcome = candidate_delete(workspace=workspace, email=EMAIL)
    assert outcome.webhook_bodies == len(MENTIONS)
    for name, event in events.items():
        event.refresh_from_db()
        assert (bytes(event.body) == b"") is (name in MENTIONS), name


@pytest.mark.parametrize(
    "body",
    [
        b"x" * (1 << 20) + b" a@b.co",  # one long word, then the address
        b"k=v%20w&" * (1 << 17) + b"email=a%40b.co",  # a long form
        json.dumps({"note": "xa@b.co 'a@b.c' " * (1 << 16) + "'a@b.co'"}).encode(),
    ],
    ids=["one_word", "form", "many_near_misses"],
)
def test_one_1_mib_body_does_not_stall_a_privacy_request(body):
    """A privacy request scans every stored body of the workspace: one long body must not stall it
    (matching address-shaped runs took 28 s on 64 KiB of one word, growing with the square)."""
    started = time.perf_counter()
    assert body_mentions_address(body, EMAIL)
    assert time.perf_counter() - started < 2
