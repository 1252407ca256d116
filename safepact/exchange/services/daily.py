"""(being written)"""

__all__: list[str] = []


def register() -> None:
    """Audit action labels and hooks of this part (called once from exchange.hooks)."""
