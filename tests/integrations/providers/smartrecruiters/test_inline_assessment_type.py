"""In-line orders and the partner's declared assessment types. SRO's AssessmentType enum
(vendor/assessment_api_2021.openapi.json) has INLINE_ASSESSMENT, and
PartnerConfigurationRequest.supportedAssessmentTypes lists the types a partner serves: we send
inlineAssessmentPackageOrderUrl, so we declare INLINE_ASSESSMENT too. SRO ties the URL to no type,
so the sandbox holds the stricter reading [I]: no in-line order for a partner that does not
declare it."""

import pytest

from assessments.models import AssessmentRun
from integrations.providers.smartrecruiters import reference, setup
from integrations.providers.smartrecruiters import simulator_state as sim
from integrations.registry import get_provider

from .helpers import connect_via_simulator
from .test_inline_flow import apply_inline

pytestmark = pytest.mark.django_db


def test_the_partner_configuration_declares_inline_assessment_with_the_inline_order_url():
    body = setup.partner_configuration_body()
    assert body["inlineAssessmentPackageOrderUrl"]
    assert body["supportedAssessmentTypes"] == ["BEHAVIORAL_ASSESSMENT", "INLINE_ASSESSMENT"]
    assert set(body["supportedAssessmentTypes"]) <= set(reference.schema("AssessmentType")["enum"])


def test_the_sandbox_sends_no_inline_order_to_a_partner_that_does_not_declare_inline_assessment(
    client_in_workspace, sr_sim
):
    integration = sr_sim()
    connect_via_simulator(client_in_workspace, integration)
    provider = get_provider("smartrecruiters")
    behavioural_only = {
        **setup.partner_configuration_body(),
        "supportedAssessmentTypes": ["BEHAVIORAL_ASSESSMENT"],
    }
    provider.partner_client(integration).partner_configuration_save(body=behavioural_only)
    company_id = integration.demo["company_id"]
    sent_before = [d for d in sim.deliveries(company_id) if d["kind"] == "order"]

    refused = apply_inline(client_in_workspace, integration)

    assert refused.status_code == 502
    assert b"INLINE_ASSESSMENT" in refused.content
    assert [d for d in sim.deliveries(company_id) if d["kind"] == "order"] == sent_before, "nothing sent"
    assert not AssessmentRun.objects.filter(integration=integration).exists()

    setup.partner_configure(provider, integration)  # our configuration declares it
    applied = apply_inline(client_in_workspace, integration, email="ines.second@example.com")
    assert applied.status_code == 302, applied.content[:300]
    assert AssessmentRun.objects.filter(integration=integration).count() == 1
