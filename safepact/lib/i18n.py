"""Texts kept as data in several languages (question banks, Five Safes questions): pick one for a person."""

from collections.abc import Mapping

from django.conf import settings
from django.utils import translation


def language_of(language: str | None = None) -> str:
    """The language to show data texts in: the given or active language, reduced to one of ours, else the
    default language."""
    codes = [code for code, _name in settings.LANGUAGES]
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    if language in codes:
        return language
    base = language.split("-")[0]
    return base if base in codes else settings.LANGUAGE_CODE


def tr(texts: Mapping[str, str], language: str | None = None) -> str:
    """One text of a ``{language: text}`` mapping in ``language`` (default: the active language), falling back
    to the default language and then to any text."""
    language = language_of(language)
    return texts.get(language) or texts.get(settings.LANGUAGE_CODE) or next(iter(texts.values()), "")
