"""Fill msgstr entries of locales/<lang>/LC_MESSAGES/orienta.po from a YAML file.

The YAML maps message ids to their text per language:

    handoff.ask_consent:
      en: "May I pass ..."
      ro: "..."

Run it after `make i18n-extract i18n-update` (which add the new ids), then
`make i18n-compile`. Several people filling at once serialize on a lock:
    flock /tmp/orienta-po.lock bash -c 'make i18n-extract i18n-update && \
        .venv/bin/python scripts/dev/fill_translations.py FILE.yml && make i18n-compile'
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml
from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parents[2] / "locales"


def fill(strings: dict) -> None:
    languages = sorted({lang for texts in strings.values() for lang in texts})
    for language in languages:
        path = LOCALES / language / "LC_MESSAGES" / "orienta.po"
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        missing = []
        for message_id, texts in strings.items():
            if language not in texts:
                continue
            if message_id not in catalog:
                missing.append(message_id)
                continue
            message = catalog[message_id]
            message.string = texts[language]
            message.flags.discard("fuzzy")
        with path.open("wb") as handle:
            write_po(handle, catalog, sort_output=True, ignore_obsolete=True)
        if missing:
            print(f"{language}: not in the catalog (run make i18n-extract i18n-update): {', '.join(missing)}",
                  file=sys.stderr)


if __name__ == "__main__":
    for name in sys.argv[1:]:
        fill(yaml.safe_load(Path(name).read_text(encoding="utf-8")))
