"""Reads for the pipeline area of formation."""
