"""Tell SmartRecruiters where JobCannon's partner endpoints are: savePartnerConfig,
`PUT https://api.smartrecruiters.com/assessment-api/v202010/partner/configuration` with the partner
("master") credentials (SMARTRECRUITERS_PARTNER_CLIENT_ID / _SECRET). Once for JobCannon, and
again whenever JOBCANNON_BASE_URL changes: until it is saved, SR answers every company's
setUpIntegration with 404 "Partner configuration does not exist" (the consent fails, explained).

The call is logged against an integration, which also picks the host: a production one goes to
SmartRecruiters, a sandbox one on the built-in simulator to the simulator (`--integration <id>`;
by default the first production SmartRecruiters integration, else the first one).

    manage.py smartrecruiters_partner_configure [--integration ID] [--json]"""

import json

from django.core.management.base import BaseCommand, CommandError

from integrations.base import ATSError
from integrations.models import Environment, Integration
from integrations.providers.smartrecruiters import constants, setup
from integrations.registry import get_provider


class Command(BaseCommand):
    help = "Save JobCannon's partner configuration (its endpoint URLs) at SmartRecruiters."

    def add_arguments(self, parser):
        parser.add_argument("--integration", type=int, help="SmartRecruiters integration id (host and log).")
        parser.add_argument("--json", action="store_true", help="Print what was saved as JSON.")

    def handle(self, *args, **options):
        integration = self._integration(options.get("integration"))
        try:
            saved = setup.partner_configure(get_provider(constants.KEY), integration)
        except ATSError as exc:
            raise CommandError(f"SmartRecruiters refused the partner configuration: {exc.message}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(saved, indent=2))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Partner configuration saved at SmartRecruiters (via integration {integration.pk}, "
                    f"{integration.environment}): consent page "
                    f"{saved.get(constants.PARTNER_CONFIGURATION_FIELDS['consent'], '?')}"
                )
            )

    def _integration(self, pk: int | None) -> Integration:
        found = Integration.objects.filter(provider=constants.KEY)
        if pk is not None:
            integration = found.filter(pk=pk).first()
            if integration is None:
                raise CommandError(f"No SmartRecruiters integration {pk}.")
            return integration
        integration = (
            found.filter(environment=Environment.PRODUCTION).order_by("pk").first()
            or found.order_by("pk").first()
        )
        if integration is None:
            raise CommandError(
                "No SmartRecruiters integration to send the call with: create one (any workspace), then run "
                "this again with --integration <id>."
            )
        return integration
