"""Writes for the information exchange, one module per part; import from here."""

from safepact.exchange.services.assessments import *  # noqa: F403
from safepact.exchange.services.daily import *  # noqa: F403
from safepact.exchange.services.posts import *  # noqa: F403
from safepact.exchange.services.register import *  # noqa: F403
from safepact.exchange.services.requests import *  # noqa: F403
from safepact.exchange.services.retention import *  # noqa: F403
