"""Reads for the problem area of formation."""
