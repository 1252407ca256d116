"""Formation API schemas, one module per area."""
