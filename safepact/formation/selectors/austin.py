"""Reads for the austin area of formation."""
