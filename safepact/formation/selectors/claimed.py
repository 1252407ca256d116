"""Reads for the claimed area of formation."""
