"""Reads for the structure area of formation."""
