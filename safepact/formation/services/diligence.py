"""Writes for the diligence area of formation."""
