"""Wiring at start-up (``ExchangeConfig.ready``): each part registers its audit labels and hooks; the
partnership gets its "Information exchange" section; the daily job is registered with the scheduler."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from safepact.exchange import tasks  # noqa: F401 - registers the periodic job
    from safepact.exchange.demo import exchange_demo
    from safepact.exchange.services import assessments, daily, posts, register, requests, retention
    from safepact.partnerships.hooks import register_demo, register_section

    for part in (posts, requests, assessments, register, retention, daily):
        part.register()
    register_section(_("Information exchange"), "exchange:home")
    register_demo(exchange_demo)
