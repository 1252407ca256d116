"""Writes for the directory area of formation."""
