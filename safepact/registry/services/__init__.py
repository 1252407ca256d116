"""Writes for the registry, one module per part; import from here."""

from safepact.registry.services.alerts import *  # noqa: F403
from safepact.registry.services.checks import *  # noqa: F403
from safepact.registry.services.daily import *  # noqa: F403
from safepact.registry.services.hits import *  # noqa: F403
from safepact.registry.services.transfer import *  # noqa: F403
