"""Writes for the pipeline area of formation."""
