"""Writes for the claimed area of formation."""
