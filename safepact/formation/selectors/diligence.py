"""Reads for the diligence area of formation."""
