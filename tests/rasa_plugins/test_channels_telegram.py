"""The Telegram channel against a local fake of the Bot API: formatting, keyboards, long payloads, verification."""
import asyncio
import json

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered

from orienta.catalogs import translations_for
from orienta_rasa.channels.payload_keys import PayloadKeys, payload_key
from orienta_rasa.channels.telegram import (SECRET_HEADER, OrientaTelegramInput, OrientaTelegramOutput,
                                            derived_secret)
from tests.messaging_fakes import FakeTelegram, serve_blueprints

TOKEN = "123456:TEST-token_for-the-fake"
SECRET = "s3cret-webhook_token"
CHAT = 424242
OFFER_ID = "ofr-sventaragio-universitetas-duomenu-analize-python"
DETAILS = '/explain_offer{"offer_id": "%s"}' % OFFER_ID
SIMILAR = '/similar_offers{"offer_id": "%s"}' % OFFER_ID


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def telegram():
    with FakeTelegram(TOKEN) as fake:
        yield fake


async def send(fake, message, keys=None):
    """What Rasa does with a bot event: send_response on the output channel."""
    out = OrientaTelegramOutput(TOKEN, fake.url, keys or PayloadKeys())
    try:
        await out.send_response(str(CHAT), message)
    finally:
        await out.session.close()
    return fake.called("sendMessage")


def bot_event(text, buttons=(), custom=None, **metadata):
    data = {"buttons": list(buttons)}
    if custom is not None:
        data["custom"] = custom
    return BotUttered(text, data=data, metadata=metadata).message()


def test_knowledge_answer_is_one_message_with_citation_and_inline_keyboard(telegram):
    text = ("Micro-credentials certify *learning outcomes* of short courses; ECTS < 60 & assessed.\n\n"
            "Source: Council Recommendation 2022/C 243/02, Annex I")
    buttons = [{"title": "Find a course", "payload": "/find_course"}, {"title": "Plan my stack", "payload": "/plan_stack"},
               {"title": "Tell me more about quality assurance", "payload": "/quality"}]
    sent = run(send(telegram, bot_event(text, buttons, citation="Council Recommendation 2022/C 243/02, Annex I")))
    assert len(sent) == 1
    params = sent[0].params
    assert params["chat_id"] == str(CHAT)
    assert params["parse_mode"] == "HTML"
    assert params["disable_web_page_preview"] == "True"  # aiogram sends form fields; the Bot API accepts it
    assert params["text"] == ("Micro-credentials certify *learning outcomes* of short courses; ECTS &lt; 60 &amp; "
                              "assessed.\n\n<i>Source: Council Recommendation 2022/C 243/02, Annex I</i>")
    assert params["reply_markup"] == {"inline_keyboard": [
        [{"text": "Find a course", "callback_data": "/find_course"},
         {"text": "Plan my stack", "callback_data": "/plan_stack"}],
        [{"text": "Tell me more about quality assurance", "callback_data": "/quality"}]]}


def test_offer_card_has_a_bold_title_escaped_text_and_short_keys_for_long_payloads(telegram):
    en = translations_for("en").gettext
    text = ("1. Data_analysis with *Python* <open data>\nŠventaragis University, Lithuania\n6 ECTS · EQF 7\n"
            "https://example.org/courses/data_analysis?x=1&y=2")
    buttons = [{"title": en("button.offer_details"), "payload": DETAILS},
               {"title": en("button.similar_offers"), "payload": SIMILAR}]
    keys = PayloadKeys()
    sent = run(send(telegram, bot_event(text, buttons), keys))
    assert len(sent) == 1
    params = sent[0].params
    assert params["text"] == ("<b>1. Data_analysis with *Python* &lt;open data&gt;</b>\nŠventaragis University, "
                              "Lithuania\n6 ECTS · EQF 7\nhttps://example.org/courses/data_analysis?x=1&amp;y=2")
    assert params["visible_text"].startswith("1. Data_analysis with *Python* <open data>\n")
    [row] = params["reply_markup"]["inline_keyboard"]
    assert [b["text"] for b in row] == [en("button.offer_details"), en("button.similar_offers")]
    assert len(DETAILS.encode()) > 64
    assert [b["callback_data"] for b in row] == [payload_key(DETAILS), payload_key(SIMILAR)]
    assert all(len(b["callback_data"].encode()) <= 64 for b in row)
    assert [keys.resolve(b["callback_data"]) for b in row] == [DETAILS, SIMILAR]


def test_short_keys_survive_a_restart(tmp_path):
    path = str(tmp_path / "buttons.db")
    first = PayloadKeys(path)
    key = first.callback_data(DETAILS)
    first.close()
    assert PayloadKeys(path).resolve(key) == DETAILS
    assert PayloadKeys(path).resolve(payload_key("/never_stored")) is None
    assert PayloadKeys(path).callback_data("/find_course") == "/find_course"


def test_search_footer_sends_its_text_and_buttons_but_never_the_json(telegram):
    custom = {"type": "offer_cards", "cards": [{"type": "offer", "id": OFFER_ID, "title": "Data analysis"}]}
    buttons = [{"title": "More results", "payload": "/more_results"}, {"title": "Refine", "payload": "/refine_search"}]
    sent = run(send(telegram, bot_event("What next?", buttons, custom=custom)))
    assert [c.params["text"] for c in sent] == ["What next?"]
    assert "offer_cards" not in json.dumps([c.params for c in telegram.calls])
    details = run(send(telegram, bot_event("Title: X\nECTS: 5", custom={"type": "offer_details", "id": OFFER_ID,
                                                                         "title": "X"})))
    assert details[-1].params["text"] == "<b>Title: X</b>\nECTS: 5"
    assert len(telegram.calls) == 2


def test_telegram_shaped_custom_json_is_still_sent(telegram):
    sent = run(send(telegram, {"text": None, "custom": {"text": "Hello from a custom payload"}}))
    assert [c.params["text"] for c in sent] == ["Hello from a custom payload"]


def test_long_text_is_split_at_line_breaks_with_the_keyboard_on_the_last_part(telegram):
    lines = [f"• learning outcome {n}: " + "x" * 80 for n in range(60)]  # ~5,800 characters
    buttons = [{"title": "Similar offers", "payload": "/similar_offers"}]
    sent = run(send(telegram, bot_event("\n".join(lines), buttons)))
    assert len(sent) == 2
    assert all(len(c.params["visible_text"]) <= 4096 for c in sent)
    assert "\n".join(c.params["visible_text"] for c in sent) == "\n".join(lines)
    assert "reply_markup" not in sent[0].params
    assert sent[1].params["reply_markup"]["inline_keyboard"] == [[{"text": "Similar offers",
                                                                    "callback_data": "/similar_offers"}]]


def test_a_refused_message_is_logged_not_raised(caplog):
    with FakeTelegram("999:other-token") as fake:  # our token is unknown there: 401 Unauthorized
        assert run(send(fake, bot_event("hello"))) == []
    assert "Telegram did not take a message" in caplog.text


# -- the webhook ---------------------------------------------------------------------------------------------------

def update(text=None, language="pl", callback=None, update_id=1):
    user = {"id": 99, "is_bot": False, "first_name": "Ana", "language_code": language}
    chat = {"id": CHAT, "type": "private", "first_name": "Ana"}
    if callback is not None:
        return {"update_id": update_id, "callback_query": {
            "id": "cbq-1", "from": user, "chat_instance": "ci", "data": callback,
            "message": {"message_id": 7, "date": 1700000000, "chat": chat, "text": "1. Data analysis"}}}
    return {"update_id": update_id, "message": {"message_id": 5, "date": 1700000000, "chat": chat, "from": user,
                                                **({"text": text} if text is not None else {"sticker": {
                                                    "file_id": "f", "file_unique_id": "u", "width": 1, "height": 1,
                                                    "is_animated": False}})}}


class Inbox:
    """on_new_message: records the message and answers through its output channel, as Rasa would."""

    def __init__(self, fail=False):
        self.messages = []
        self.fail = fail

    async def __call__(self, message: UserMessage):
        self.messages.append(message)
        if self.fail:
            raise RuntimeError("the conversation failed")
        await message.output_channel.send_text_message(message.sender_id, f"you said {message.text}")


async def exchange(channel, inbox, requests):
    """Mount the channel's blueprint as Rasa does, post the (body, headers) requests, return the statuses."""
    statuses = []
    async with serve_blueprints((channel.blueprint(inbox), "/webhooks/telegram")) as url:
        async with aiohttp.ClientSession() as session:
            for body, headers in requests:
                async with session.post(f"{url}/webhooks/telegram/webhook", json=body, headers=headers) as reply:
                    statuses.append(reply.status)
    await channel.get_output_channel().session.close()
    return statuses


def channel_for(fake, tmp_path, secret=SECRET):
    return OrientaTelegramInput.from_credentials({
        "access_token": TOKEN, "webhook_url": "https://bot.example.org/webhooks/telegram/webhook",
        "api_url": fake.url, "secret_token": secret, "button_store": str(tmp_path / "buttons.db")})


def test_webhook_is_registered_with_the_secret_when_the_server_starts(telegram, tmp_path):
    run(exchange(channel_for(telegram, tmp_path), Inbox(), []))
    [call] = telegram.called("setWebhook")
    assert call.params["url"] == "https://bot.example.org/webhooks/telegram/webhook"
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]


def test_requests_without_the_secret_are_refused_and_reach_no_conversation(telegram, tmp_path):
    inbox = Inbox()
    statuses = run(exchange(channel_for(telegram, tmp_path), inbox, [
        (update("hello"), {}), (update("hello"), {SECRET_HEADER: "wrong"}), (update("hello"), {SECRET_HEADER: ""})]))
    assert statuses == [401, 401, 401]
    assert inbox.messages == []
    assert telegram.called("sendMessage") == []


def test_without_a_configured_secret_one_derived_from_the_token_is_used(telegram, tmp_path):
    inbox = Inbox()
    channel = channel_for(telegram, tmp_path, secret=None)
    derived = derived_secret(TOKEN)
    statuses = run(exchange(channel, inbox, [(update("hi"), {}), (update("hi"), {SECRET_HEADER: derived})]))
    assert statuses == [401, 200]
    assert telegram.called("setWebhook")[0].params["secret_token"] == derived
    assert derived != derived_secret("123456:another-token") and len(derived) <= 256


def test_a_text_message_reaches_the_conversation_with_the_senders_language(telegram, tmp_path):
    inbox = Inbox()
    statuses = run(exchange(channel_for(telegram, tmp_path), inbox,
                            [(update("Szukam kursu Python", language="pl"), {SECRET_HEADER: SECRET})]))
    assert statuses == [200]
    [message] = inbox.messages
    assert (message.text, message.sender_id, message.input_channel) == ("Szukam kursu Python", str(CHAT), "telegram")
    assert message.metadata == {"language": "pl"}
    assert [c.params["text"] for c in telegram.called("sendMessage")] == ["you said Szukam kursu Python"]


def test_a_button_press_is_acknowledged_and_its_long_payload_resolved(telegram, tmp_path):
    inbox = Inbox()
    channel = channel_for(telegram, tmp_path)
    key = channel.payload_keys.callback_data(DETAILS)
    statuses = run(exchange(channel, inbox, [(update(callback=key, language="ro"), {SECRET_HEADER: SECRET}),
                                             (update(callback="/plan_stack"), {SECRET_HEADER: SECRET})]))
    assert statuses == [200, 200]
    assert [m.text for m in inbox.messages] == [DETAILS, "/plan_stack"]
    assert inbox.messages[0].metadata == {"language": "ro"}
    assert [c.params["callback_query_id"] for c in telegram.called("answerCallbackQuery")] == ["cbq-1", "cbq-1"]


def test_an_expired_button_gets_a_localized_answer_not_a_conversation_turn(telegram, tmp_path):
    inbox = Inbox()
    run(exchange(channel_for(telegram, tmp_path), inbox,
                 [(update(callback=payload_key("/forgotten"), language="lt"), {SECRET_HEADER: SECRET})]))
    assert inbox.messages == []
    [sent] = telegram.called("sendMessage")
    assert sent.params["visible_text"] == translations_for("lt").gettext("channel.button_expired")
    assert sent.params["visible_text"] != "channel.button_expired"


def test_start_greets_and_non_text_updates_are_ignored(telegram, tmp_path):
    inbox = Inbox()
    statuses = run(exchange(channel_for(telegram, tmp_path), inbox, [
        (update("/start"), {SECRET_HEADER: SECRET}), (update(None), {SECRET_HEADER: SECRET}),
        ({"update_id": 3, "edited_message": update("x")["message"]}, {SECRET_HEADER: SECRET})]))
    assert statuses == [200, 200, 200]
    assert [m.text for m in inbox.messages] == ["/greet"]


def test_a_failing_conversation_still_answers_telegram_with_200(telegram, tmp_path):
    inbox = Inbox(fail=True)
    statuses = run(exchange(channel_for(telegram, tmp_path), inbox, [(update("hi"), {SECRET_HEADER: SECRET}),
                                                                     ("not an update", {SECRET_HEADER: SECRET})]))
    assert statuses == [200, 400]
    assert len(inbox.messages) == 1


def test_a_guard_mixin_sees_every_message_before_the_conversation(telegram, tmp_path):
    """The contract the message guard relies on: overriding `deliver` intercepts every verified user message."""

    class Refusing:
        async def deliver(self, on_new_message, message):
            if len(message.text) > 10:
                await message.output_channel.send_text_message(message.sender_id, "too long")
                return
            await super().deliver(on_new_message, message)

    class Guarded(Refusing, OrientaTelegramInput):
        pass

    inbox = Inbox()
    channel = Guarded.from_credentials({"access_token": TOKEN, "webhook_url": None, "api_url": telegram.url,
                                        "secret_token": SECRET, "button_store": str(tmp_path / "b.db")})
    run(exchange(channel, inbox, [(update("a very long message"), {SECRET_HEADER: SECRET}),
                                  (update("short"), {SECRET_HEADER: SECRET})]))
    assert [m.text for m in inbox.messages] == ["short"]
    assert [c.params["text"] for c in telegram.called("sendMessage")] == ["too long", "you said short"]
