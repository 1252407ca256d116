"""Formation selectors, one module per area."""
