"""Supported languages, from `locales/LINGUAS` (adding a language is data); stdlib only, shared by both servers."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Optional, Tuple

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def locales_dir() -> Path:
    """`ORIENTA_LOCALES_DIR`, default `locales/` in the project."""
    return Path(os.environ.get("ORIENTA_LOCALES_DIR", PROJECT_ROOT / "locales"))


@lru_cache(maxsize=None)
def _read_linguas(path: Path) -> Tuple[str, ...]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(code for code in (line.split("#", 1)[0].strip() for line in lines) if code)


def supported_languages() -> Tuple[str, ...]:
    """Supported language codes in LINGUAS order; the first is the default."""
    return _read_linguas(locales_dir() / "LINGUAS")


def default_language() -> str:
    """`ORIENTA_DEFAULT_LANGUAGE` when supported, else the first code in LINGUAS."""
    return normalize_language(os.environ.get("ORIENTA_DEFAULT_LANGUAGE")) or supported_languages()[0]


def normalize_language(tag: object) -> Optional[str]:
    """'pl', 'pl-PL', 'PL_pl', 'lt_LT.UTF-8' -> the supported code, anything else -> None."""
    if not isinstance(tag, str):
        return None
    primary = tag.strip().replace("_", "-").split(".", 1)[0].split("-", 1)[0].lower()
    return primary if primary in supported_languages() else None
