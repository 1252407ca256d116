"""Background tasks of the exchange (being written)."""
