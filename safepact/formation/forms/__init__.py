"""Formation forms, one module per area."""
