"""The registry's part of the demo (filled in by ``registry_demo``)."""


def registry_demo(**context) -> None:
    """Placeholder until the registry demo lands."""
