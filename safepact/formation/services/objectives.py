"""Writes for the objectives area of formation."""
