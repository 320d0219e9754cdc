"""Loads the compiled gettext catalogs (`locales/<lang>/LC_MESSAGES/orienta.mo`) once each; used by both servers."""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

from babel.support import NullTranslations, Translations

from orienta.languages import default_language, locales_dir, normalize_language

DOMAIN = "orienta"


@lru_cache(maxsize=None)
def _load(directory: Path, language: str) -> NullTranslations:
    return Translations.load(dirname=str(directory), locales=[language], domain=DOMAIN)


def translations_for(language: str) -> NullTranslations:
    """Catalog for `language`, falling back to the default language's catalog for a missing id."""
    directory = locales_dir()
    wanted = normalize_language(language) or default_language()
    catalog = _load(directory, wanted)
    fallback_language = default_language()
    if wanted != fallback_language and isinstance(catalog, Translations):
        fallback = _load(directory, fallback_language)
        if catalog._fallback is None and fallback is not catalog:  # noqa: SLF001 - Babel API
            catalog.add_fallback(fallback)
    return catalog


class _KeepMissing(dict):
    """Leaves unknown `{placeholders}` as they are instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, values: Dict[str, Any]) -> str:
    """`str.format_map` that tolerates missing keys and stray braces (a translation must never crash a reply)."""
    try:
        return string.Formatter().vformat(template, (), _KeepMissing(values))
    except (ValueError, IndexError):
        return template
