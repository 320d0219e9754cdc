"""Every message exists, translated and not fuzzy, in every language; the template is current."""
import string
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from orienta.languages import locales_dir, supported_languages
from tests.contract import PROJECT_ROOT, contract_topics

LOCALES = locales_dir()


def read_catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def placeholders(text: str) -> set:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.fixture(scope="module")
def template():
    return read_catalog(LOCALES / "orienta.pot")


def test_languages_and_catalog_folders_agree():
    folders = {p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/orienta.po")}
    assert folders == set(supported_languages())


def test_template_matches_the_sources(template):
    with (PROJECT_ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    extracted = {
        message for _, _, message, _, _ in extract_from_dir(str(PROJECT_ROOT), method_map, options_map,
                                                       keywords={**DEFAULT_KEYWORDS, "t": None})
    }
    assert extracted == {m.id for m in template if m.id}, "run `make i18n` and commit the catalogs"


def test_answered_topics_follow_the_contract_and_have_their_messages(template):
    ids = {m.id for m in template}
    answered = {m.id.split(".")[1] for m in template if m.id and m.id.startswith("topic.")}
    assert answered, "no knowledge topic is answered"
    assert answered <= set(contract_topics()["knowledge"])
    for topic in answered:
        for part in ("title", "short", "more", "source"):
            assert f"topic.{topic}.{part}" in ids


@pytest.mark.parametrize("language", supported_languages())
def test_catalog_is_complete(template, language):
    catalog = read_catalog(LOCALES / language / "LC_MESSAGES" / "orienta.po")
    missing, fuzzy, bad_placeholders = [], [], []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        if translated is None or not translated.string:
            missing.append(message.id)
        elif translated.fuzzy:
            fuzzy.append(message.id)
        elif placeholders(translated.string) != placeholders(
            read_catalog(LOCALES / "en" / "LC_MESSAGES" / "orienta.po").get(message.id).string
        ):
            bad_placeholders.append(message.id)
    assert not missing, f"{language}: untranslated {missing}"
    assert not fuzzy, f"{language}: fuzzy {fuzzy}"
    assert not bad_placeholders, f"{language}: placeholders differ from English in {bad_placeholders}"


@pytest.mark.parametrize("language", supported_languages())
def test_short_answers_stay_short(template, language):
    catalog = read_catalog(LOCALES / language / "LC_MESSAGES" / "orienta.po")
    too_long = [
        m.id for m in catalog if m.id and m.id.endswith(".short") and len(m.string.split()) > 95
    ]
    assert not too_long, f"{language}: short answers over ~80 words: {too_long}"
