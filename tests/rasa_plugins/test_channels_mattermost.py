"""The Mattermost channel against a local fake of its API v4: posts, Markdown escaping, actions, verification."""
import asyncio
import json

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered

from orienta_rasa.channels.formatting import WORD_JOINER
from orienta_rasa.channels.mattermost import (OrientaMattermostInput, OrientaMattermostOutput, action_signature,
                                              api_base)
from tests.messaging_fakes import FakeMattermost, serve_blueprints

BOT_TOKEN = "mm-bot-access-token"
HOOK_TOKEN = "mm-outgoing-webhook-token"
WEBHOOK_URL = "https://bot.example.org/webhooks/mattermost/webhook"
CHANNEL = "chan00000000000000000000001"
USER = "user00000000000000000000001"
OFFER_ID = "ofr-sventaragio-universitetas-duomenu-analize-python"
DETAILS = '/explain_offer{"offer_id": "%s"}' % OFFER_ID


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def mattermost():
    with FakeMattermost(BOT_TOKEN, users={USER: {"id": USER, "username": "ana", "locale": "ro"}}) as fake:
        yield fake


def bot_event(text, buttons=(), custom=None, **metadata):
    data = {"buttons": list(buttons)}
    if custom is not None:
        data["custom"] = custom
    return BotUttered(text, data=data, metadata=metadata).message()


def send(fake, message, token=BOT_TOKEN):
    out = OrientaMattermostOutput(fake.url, token, CHANNEL, WEBHOOK_URL, HOOK_TOKEN)
    run(out.send_response(USER, message))
    return [c.params for c in fake.called("POST /posts")]


def test_api_base_accepts_the_server_url_or_the_api_url():
    assert api_base("https://chat.example.org/") == "https://chat.example.org/api/v4"
    assert api_base("https://chat.example.org/api/v4") == "https://chat.example.org/api/v4"


def test_offer_card_is_one_post_with_a_bold_title_escaped_text_and_signed_actions(mattermost):
    text = ("1. Data_analysis with *Python* <open data> for @channel\nŠventaragis University, Lithuania\n"
            "6 ECTS · EQF 7\nhttps://example.org/courses/data_analysis")
    buttons = [{"title": "Details", "payload": DETAILS}, {"title": "Similar offers", "payload": "/similar_offers"}]
    [post] = send(mattermost, bot_event(text, buttons))
    assert post["channel_id"] == CHANNEL
    assert post["message"] == (f"**1\\. Data\\_analysis with \\*Python\\* \\<open data\\> for @{WORD_JOINER}channel**\n"
                               "Šventaragis University, Lithuania\n6 ECTS · EQF 7\n"
                               "https://example.org/courses/data_analysis")
    [attachment] = post["props"]["attachments"]
    assert [a["name"] for a in attachment["actions"]] == ["Details", "Similar offers"]
    for action, payload in zip(attachment["actions"], [DETAILS, "/similar_offers"]):
        assert action["integration"]["url"] == WEBHOOK_URL
        assert action["integration"]["context"] == {"action": payload,
                                                    "signature": action_signature(HOOK_TOKEN, payload)}


def test_knowledge_answer_keeps_its_citation_in_italics_and_block_markup_is_escaped(mattermost):
    text = "# not a heading\n- not a list\n> not a quote\n2. not a list either\n\nSource: Council Recommendation"
    [post] = send(mattermost, bot_event(text, citation="Council Recommendation"))
    assert post["message"] == ("\\# not a heading\n\\- not a list\n\\> not a quote\n2\\. not a list either\n\n"
                               "_Source: Council Recommendation_")
    assert "props" not in post


def test_the_json_for_web_clients_is_never_posted(mattermost):
    custom = {"type": "offer_cards", "cards": [{"type": "offer", "id": OFFER_ID}]}
    posts = send(mattermost, bot_event("What next?", [{"title": "Refine", "payload": "/refine_search"}], custom=custom))
    assert [p["message"] for p in posts] == ["What next?"]
    assert "offer_cards" not in json.dumps(posts)
    posts = send(mattermost, {"text": None, "custom": {"type": "offer_details", "id": OFFER_ID}})
    assert len(posts) == 1


def test_long_text_is_split_with_the_buttons_on_the_last_post(mattermost):
    text = "\n".join(f"• outcome {n} " + "y" * 100 for n in range(100))  # ~11,000 characters
    posts = send(mattermost, bot_event(text, [{"title": "Back", "payload": "/more_results"}]))
    assert len(posts) == 2 and all(len(p["message"]) <= 16383 for p in posts)
    assert "props" not in posts[0] and posts[1]["props"]["attachments"][0]["actions"][0]["name"] == "Back"


def test_a_refused_post_is_logged_not_raised(mattermost, caplog):
    assert send(mattermost, bot_event("hello"), token="wrong") == []
    assert "Mattermost refused a post" in caplog.text and "Invalid or expired session" in caplog.text


# -- the webhook ---------------------------------------------------------------------------------------------------

class Inbox:
    def __init__(self):
        self.messages = []

    async def __call__(self, message: UserMessage):
        self.messages.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"you said {message.text}")


def outgoing(text, token=HOOK_TOKEN, user=USER, trigger="@orienta"):
    return {"token": token, "team_id": "team1", "team_domain": "guidance", "channel_id": CHANNEL,
            "channel_name": "counsellors", "timestamp": "1700000000000", "user_id": user, "user_name": "ana",
            "post_id": "post1", "text": text, "trigger_word": trigger, "file_ids": ""}


def action(payload, signature):
    return {"user_id": USER, "user_name": "ana", "channel_id": CHANNEL, "channel_name": "counsellors",
            "team_id": "team1", "team_domain": "guidance", "post_id": "post2", "trigger_id": "tr", "type": "",
            "data_source": "", "context": {"action": payload, "signature": signature}}


async def exchange(fake, inbox, requests):
    channel = OrientaMattermostInput.from_credentials(
        {"url": fake.url, "token": BOT_TOKEN, "webhook_url": WEBHOOK_URL, "hook_token": HOOK_TOKEN})
    replies = []
    async with serve_blueprints((channel.blueprint(inbox), "/webhooks/mattermost")) as url:
        async with aiohttp.ClientSession() as session:
            for kind, body in requests:
                post = session.post(f"{url}/webhooks/mattermost/webhook", **{kind: body})
                async with post as reply:
                    replies.append((reply.status, await reply.json(content_type=None)))
    return replies


def test_outgoing_webhook_form_reaches_the_conversation_with_the_users_locale(mattermost):
    inbox = Inbox()
    replies = run(exchange(mattermost, inbox, [("data", outgoing("@orienta caut un curs de Python"))]))
    assert replies == [(200, {})]
    [message] = inbox.messages
    assert (message.text, message.sender_id, message.input_channel) == ("caut un curs de Python", USER, "mattermost")
    assert message.metadata == {"language": "ro"}
    assert [p.params["message"] for p in mattermost.called("POST /posts")] == ["you said caut un curs de Python"]
    assert mattermost.called("POST /posts")[0].params["channel_id"] == CHANNEL


def test_outgoing_webhook_as_json_and_without_trigger_word(mattermost):
    inbox = Inbox()
    run(exchange(mattermost, inbox, [("json", outgoing("find a Python course", trigger=""))]))
    assert [m.text for m in inbox.messages] == ["find a Python course"]


def test_requests_without_the_webhook_token_are_refused(mattermost):
    inbox = Inbox()
    body = outgoing("@orienta hello")
    del body["token"]
    replies = run(exchange(mattermost, inbox, [("data", outgoing("@orienta hello", token="forged")), ("json", body)]))
    assert [status for status, _ in replies] == [401, 401]
    assert inbox.messages == [] and mattermost.called("POST /posts") == []


def test_a_signed_button_press_reaches_the_conversation_and_a_forged_one_is_refused(mattermost):
    inbox = Inbox()
    replies = run(exchange(mattermost, inbox, [
        ("json", action(DETAILS, action_signature(HOOK_TOKEN, DETAILS))),
        ("json", action("/restart", action_signature(HOOK_TOKEN, DETAILS))),
        ("json", action("/restart", "0" * 64))]))
    assert [status for status, _ in replies] == [200, 403, 403]
    assert [m.text for m in inbox.messages] == [DETAILS]
    assert inbox.messages[0].metadata == {"language": "ro"}


def test_the_bots_own_posts_are_ignored(mattermost):
    inbox = Inbox()
    run(exchange(mattermost, inbox, [("json", outgoing("you said hi", user=FakeMattermost.BOT_ID, trigger=""))]))
    assert inbox.messages == []
