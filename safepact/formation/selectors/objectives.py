"""Reads for the objectives area of formation."""
