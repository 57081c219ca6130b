"""Partner API keys are only ever verified, so only their hash is stored: the key is shown once
when issued, cannot be read back (not by us, not by the simulator), and keys stored encrypted
before are migrated to hashes (issue 21)."""

import hashlib
import importlib

import pytest
from django.apps import apps
from django.db import connection

from integrations.models import Integration
from integrations.providers.ashby.services import partner_key_issue
from tests.integrations.providers.ashby.helpers import ashby_integration, partner_post

pytestmark = pytest.mark.django_db


def test_an_issued_partner_key_is_stored_only_as_its_hash_and_still_authenticates(client):
    integration = ashby_integration()
    key = partner_key_issue(integration=integration)
    integration.refresh_from_db()
    assert key not in repr(integration.credentials)
    assert integration.credential("partner_api_key") is None
    assert (
        integration.credential("partner_api_key_sha256")
        == "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials, provider_settings FROM integrations_integration")
        assert key not in repr(cursor.fetchall())
    assert partner_post(client, integration, "assessment-list", {}, key).status_code == 200
    refused = partner_post(client, integration, "assessment-list", {}, key[:-1] + "x")
    assert refused.json()["errorInfo"]["code"] == "unauthenticated"


def test_the_data_migration_turns_encrypted_keys_into_hashes(client):
    integration = ashby_integration()
    legacy = "jcash_0123456789ab_LEGACYKEYxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    Integration.objects.filter(pk=integration.pk).update(
        credentials={"api_key": "ashby-test-key-0001", "partner_api_key": legacy},
        provider_settings={"partner_key_id": "0123456789ab"},
    )
    migration = importlib.import_module("integrations.migrations.0005_privacy_partner_key_hashes")
    migration.hash_partner_keys(apps, None)
    integration.refresh_from_db()
    assert "partner_api_key" not in integration.credentials
    assert integration.credential("api_key") == "ashby-test-key-0001"
    assert partner_post(client, integration, "assessment-list", {}, legacy).status_code == 200
    assert partner_post(client, integration, "assessment-list", {}, legacy, by_key=True).status_code == 200
