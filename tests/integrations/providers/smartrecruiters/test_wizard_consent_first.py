"""Audit a1920-r2 G4: the connect card and the wizard say what a SmartRecruiters company actually
does to connect. Required: client credentials, then JobCannon's consent in SR's Apps &
Integrations. Optional: the OAuth sign-in, and with it (only) the Webhooks API subscriptions.
Results go to the assessment order (PATCH /orders/{orderId}/results, reference §2.2), not a
"scorecard". The data region is only a label (SR publishes one API host). Seed-only text is
labelled as the seed's."""

import re
from html import unescape

import pytest
from django.urls import reverse

from .helpers import sandbox_integration

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _section(html: str, section_id: str) -> str:
    start = html.index(f'id="{section_id}"')
    return _text(html[start : html.index("</section>", start)])


def _card(html: str) -> str:
    start = html.index('id="p-smartrecruiters"')
    return _text(html[start : html.index("</section>", start)])


def test_the_connect_card_and_wizard_say_consent_is_the_way_in_and_the_region_is_a_label(client_in_workspace):
    card = _card(client_in_workspace.get(reverse("integrations:connect")).content.decode())
    assert "Apps & Integrations" in card and "client credentials" in card
    assert re.search(r"OAuth( 2\.0)? sign-in is optional", card), card
    assert re.search(r"region[^.]*(only a )?label", card, re.I) and "one API host" in card, card

    start = _text(
        client_in_workspace.get(reverse("integrations:wizard", args=["smartrecruiters"])).content.decode()
    )
    assert "Data region" in start  # still chosen (integration_create requires one) ...
    assert (
        re.search(r"region[^.]*label", start, re.I) and "one API host" in start
    )  # ... and said to be a label


def test_setup_page_puts_the_consent_in_step_2_and_says_what_the_optional_sign_in_adds(
    client_in_workspace, workspace, user
):
    integration = sandbox_integration(workspace, user, simulator=False)
    html = client_in_workspace.get(reverse("integrations:setup", args=[integration.pk])).content.decode()
    in_ats, after = _section(html, "in-ats"), _section(html, "next")

    # Step 2: credentials, then the consent in Apps & Integrations, both required, before any OAuth step.
    consent = in_ats.index("Apps & Integrations → JobCannon → Connect")
    assert in_ats.index("Create client credentials") < consent < in_ats.index("Optional: an OAuth sign-in")
    assert "Required" in in_ats[in_ats.index("Connect JobCannon in SmartRecruiters") : consent]
    assert re.search(r"Optional[^.]*Step 3", in_ats), "the OAuth form below is named as optional"

    # Step 5: no unconditional subscription promise, no unsourced scorecard claim.
    assert "Webhook subscriptions are created for you" not in after
    assert re.search(r"subscri[^.]*only after the optional OAuth sign-in", after, re.I), after
    assert "scorecard shows the result" not in after
    assert "PATCH /orders/{orderId}/results" in after
    # The seed's catalog steps stay, labelled as the seed's.
    catalog = after.index("Add Action → Assessment")
    assert "seed" in after[max(0, catalog - 300) : catalog].lower()
