"""Reads for the information exchange, one module per part; import from here."""

from safepact.exchange.selectors.posts import *  # noqa: F403
from safepact.exchange.selectors.register import *  # noqa: F403
from safepact.exchange.selectors.requests import *  # noqa: F403
from safepact.exchange.selectors.retention import *  # noqa: F403
