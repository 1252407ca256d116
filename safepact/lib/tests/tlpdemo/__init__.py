"""A test-only app with one TLP-labelled model; installed only under pytest (see settings.py)."""
