import pytest

from orienta.handoff.contact import Contact, parse_contact
from orienta.search_vocabulary import message_is


def chat(language):
    return lambda text: message_is(text, language, "chat_contact")


@pytest.mark.parametrize("text, expected", [
    ("jan.kowalski@example.pl", Contact("email", "jan.kowalski@example.pl")),
    ("my mail is ana-maria+ects@uni.example.ro thanks", Contact("email", "ana-maria+ects@uni.example.ro")),
    ("+40 721 234 567", Contact("phone", "+40721234567")),
    ("zadzwońcie: 601-234-567", Contact("phone", "601234567")),
    ("(01) 234 56 78", Contact("phone", "012345678")),
])
def test_email_addresses_and_phone_numbers_are_read_from_the_message(text, expected):
    assert parse_contact(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "tomorrow", "123", "EQF 5, 3 ECTS", "call me maybe"])
def test_messages_without_a_usable_contact_give_none(text):
    assert parse_contact(text, chat("en")) is None


@pytest.mark.parametrize("language, text", [
    ("en", "here in the chat"), ("en", "Here, please"), ("ro", "aici pe chat"), ("ro", "aici, pe chat"),
    ("pl", "tutaj na czacie"), ("sl", "tukaj v klepetu"), ("lt", "čia pokalbyje"), ("lt", "cia pokalbyje"),
])
def test_here_in_the_chat_in_each_language(language, text):
    assert parse_contact(text, chat(language)) == Contact("chat")


def test_the_chat_buttons_payload_is_understood_in_every_language():
    from orienta.catalogs import translations_for
    from orienta.languages import supported_languages

    for language in supported_languages():
        word = translations_for(language).gettext("handoff.chat_word")
        assert parse_contact(word, chat(language)) == Contact("chat"), language
