from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from jobcannon.core.jobs import schedule_modules_register

        schedule_modules_register(_schedule_modules)


def _schedule_modules() -> list[str]:
    return ["assessments.tasks"]
