"""Formation views, one module per area."""
