class ProviderConverter:
    """Matches only registered provider keys, so /<provider>/webhooks cannot shadow other pages."""

    regex = "[a-z][a-z0-9_-]{1,39}"

    def to_python(self, value: str) -> str:
        from integrations.registry import get_providers

        if value not in get_providers():
            raise ValueError(value)
        return value

    def to_url(self, value: str) -> str:
        return value


def register() -> None:
    from django.urls import register_converter

    register_converter(ProviderConverter, "provider")


register()
