"""Writes for the austin area of formation."""
