"""Channel formatting that does not depend on a platform: message parts, escaping, splitting, keyboard rows."""
from orienta_rasa.channels.formatting import (WORD_JOINER, button_rows, is_internal_json, markdown_escape,
                                              message_parts, split_lines, telegram_html)

DETAILS = [{"title": "Details", "payload": '/explain_offer{"offer_id": "ofr-x"}'}]


def test_a_card_title_is_only_recognised_with_an_offer_details_button():
    assert message_parts("1. Python\nUni", DETAILS).title == "1. Python"
    assert message_parts("1. Python\nUni", [{"title": "x", "payload": "/find_course"}]).title is None
    assert message_parts("Python\nUni", DETAILS).title is None
    assert message_parts("Title: Python\nECTS: 5", (), {"custom": {"type": "offer_details"}}).title == "Title: Python"


def test_the_citation_is_the_last_paragraph_only_when_it_names_the_source():
    parts = message_parts("Answer.\n\nSource: Annex II", (), {"citation": "Annex II"})
    assert (parts.body, parts.citation) == ("Answer.", "Source: Annex II")
    assert message_parts("Answer.\n\nMore.", (), {"citation": "Annex II"}).citation is None


def test_split_lines_keeps_lines_whole_and_cuts_only_overlong_ones():
    assert split_lines("aaa\nbbb\ncc", 7) == ["aaa\nbbb", "cc"]
    assert split_lines("x" * 10, 4) == ["xxxx", "xxxx", "xx"]
    assert split_lines("ab\n" + "c" * 9 + "\nd", 4) == ["ab", "cccc", "cccc", "c\nd"]


def test_telegram_html_escapes_only_what_html_needs():
    assert telegram_html("a *b* _c_ <d> & e") == ["a *b* _c_ &lt;d&gt; &amp; e"]
    assert telegram_html("") == []


def test_markdown_escape_neutralises_markup_and_mentions_but_keeps_urls():
    assert markdown_escape("*bold* _it_ `code` [link](x) ~chan <b> a|b") == \
        "\\*bold\\* \\_it\\_ \\`code\\` \\[link\\](x) \\~chan \\<b\\> a\\|b"
    assert markdown_escape("ask @all and @channel, mail a@b") == \
        f"ask @{WORD_JOINER}all and @{WORD_JOINER}channel, mail a@{WORD_JOINER}b"
    assert markdown_escape("see https://x.org/a_b_c*d") == "see https://x.org/a_b_c*d"
    assert markdown_escape("3. item") == "3\\. item"
    assert markdown_escape("+ plus") == "\\+ plus"


def test_button_rows_put_short_titles_together_and_long_ones_alone():
    assert button_rows(["English", "Română", "Polski", "Slovenščina", "Lietuvių"]) == [[0, 1, 2], [3, 4]]
    assert button_rows(["1. Data analysis with Python for the public sector", "Back"]) == [[0], [1]]
    assert button_rows(["Details", "Similar offers"]) == [[0, 1]]


def test_only_orientas_own_custom_payloads_are_internal():
    assert is_internal_json({"type": "offer_cards", "cards": []})
    assert is_internal_json({"type": "offer_details", "id": "x"})
    assert not is_internal_json({"text": "hello"}) and not is_internal_json(None)
