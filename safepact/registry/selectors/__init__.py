"""Reads for the registry, one module per part; import from here."""

from safepact.registry.selectors.alerts import *  # noqa: F403
from safepact.registry.selectors.checks import *  # noqa: F403
