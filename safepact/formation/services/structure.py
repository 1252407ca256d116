"""Writes for the structure area of formation."""
