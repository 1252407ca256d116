"""Writes for the information exchange. (Filled in by the services work; ``register`` wires the hooks.)"""


def register() -> None:
    """Called from ``ExchangeConfig.ready``: periodic job, hooks. Idempotent."""
