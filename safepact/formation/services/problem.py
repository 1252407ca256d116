"""Writes for the problem area of formation."""
