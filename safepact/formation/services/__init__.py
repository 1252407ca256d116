"""Formation services, one module per area."""
