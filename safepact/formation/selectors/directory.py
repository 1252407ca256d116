"""Reads for the directory area of formation."""
