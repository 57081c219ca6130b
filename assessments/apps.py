from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from jobcannon.core.jobs import schedule_modules_register
        from jobcannon.core.logging import token_path_prefix_register

        schedule_modules_register(_schedule_modules)
        # The candidate link (/a/<token>/) and the signed report link are credentials: masked in logs.
        token_path_prefix_register("/a/")
        token_path_prefix_register("/assessments/reports/")


def _schedule_modules() -> list[str]:
    return ["assessments.tasks"]
