"""End to end: counsellors in Telegram and Mattermost, the real stack pointed at local fakes of both platforms.

Platform-shaped requests go to the real webhooks; the assertions read what the
bot posted to the fakes: search results with native buttons, offer details after
a button press, the planner, and nothing for unverified requests.
"""
import json
import re

import httpx
import pytest
from babel.support import Translations

from orienta.languages import locales_dir
from tests.e2e.conftest import free_port, start_stack
from tests.messaging_fakes import FakeMattermost, FakeTelegram

pytestmark = pytest.mark.e2e
TELEGRAM_TOKEN = "123456:e2e-telegram-token"
TELEGRAM_SECRET = "e2e-telegram-secret"
MATTERMOST_TOKEN = "e2e-mattermost-bot-token"
HOOK_TOKEN = "e2e-mattermost-hook-token"
COUNSELLOR = "user00000000000000000000e2e"
CHANNEL = "chan00000000000000000000e2e"
HEAT_PUMP_OFFER = re.compile(r"pomp|crpalk|siurbl|heat-pump")


def t(language, message_id):
    return Translations.load(str(locales_dir()), [language], "orienta").gettext(message_id)


@pytest.fixture(scope="module")
def platforms(tmp_path_factory):
    with FakeTelegram(TELEGRAM_TOKEN) as telegram, FakeMattermost(
            MATTERMOST_TOKEN, users={COUNSELLOR: {"id": COUNSELLOR, "username": "ana", "locale": "ro"}}) as mattermost:
        rasa_port, actions_port = free_port(), free_port()
        rasa = f"http://127.0.0.1:{rasa_port}"
        stack = start_stack(tmp_path_factory.mktemp("var-channels"), rasa_port, actions_port, extra_env={
            "ORIENTA_TELEGRAM_TOKEN": TELEGRAM_TOKEN, "ORIENTA_TELEGRAM_API_URL": telegram.url,
            "ORIENTA_TELEGRAM_WEBHOOK_URL": f"{rasa}/webhooks/telegram/webhook",
            "ORIENTA_TELEGRAM_SECRET": TELEGRAM_SECRET,
            "ORIENTA_MATTERMOST_URL": mattermost.url, "ORIENTA_MATTERMOST_TOKEN": MATTERMOST_TOKEN,
            "ORIENTA_MATTERMOST_HOOK_TOKEN": HOOK_TOKEN,
            "ORIENTA_MATTERMOST_WEBHOOK_URL": f"{rasa}/webhooks/mattermost/webhook"})
        try:
            yield stack, telegram, mattermost
        finally:
            if stack.process.poll() is None:
                assert stack.stop() == 0


def telegram_update(update_id, chat, text=None, callback=None, language="pl"):
    user = {"id": chat, "is_bot": False, "first_name": "Ana", "language_code": language}
    chat_object = {"id": chat, "type": "private", "first_name": "Ana"}
    if callback is not None:
        return {"update_id": update_id, "callback_query": {
            "id": f"cbq-{update_id}", "from": user, "chat_instance": "ci", "data": callback,
            "message": {"message_id": 1, "date": 1700000000, "chat": chat_object, "text": "..."}}}
    return {"update_id": update_id, "message": {"message_id": update_id, "date": 1700000000, "chat": chat_object,
                                                "from": user, "text": text}}


def post_telegram(stack, update, secret=TELEGRAM_SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    return httpx.post(f"{stack.rasa_url}/webhooks/telegram/webhook", json=update, headers=headers, timeout=120)


def sent_to(telegram, chat):
    return [c.params for c in telegram.called("sendMessage") if str(c.params["chat_id"]) == str(chat)]


def keyboard(message):
    return [button for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for button in row]


def test_telegram_webhook_is_registered_with_the_secret(platforms):
    _, telegram, _ = platforms
    call = telegram.wait_for("setWebhook")[-1]
    assert call.params["url"].endswith("/webhooks/telegram/webhook")
    assert call.params["secret_token"] == TELEGRAM_SECRET


def test_telegram_update_without_the_secret_reaches_no_conversation(platforms):
    stack, telegram, _ = platforms
    assert post_telegram(stack, telegram_update(1, 6001, "szukam kursu montażu pomp ciepła"), secret=None).status_code == 401
    assert post_telegram(stack, telegram_update(2, 6001, "szukam kursu"), secret="guess").status_code == 401
    assert sent_to(telegram, 6001) == []


def test_telegram_search_then_details_by_button(platforms):
    stack, telegram, _ = platforms
    chat = 6002
    reply = post_telegram(stack, telegram_update(10, chat, "szukam kursu montażu pomp ciepła"))
    assert reply.status_code == 200
    messages = sent_to(telegram, chat)
    assert messages[0]["visible_text"].startswith(t("pl", "search.found").split("{")[0]), messages
    cards = [m for m in messages if any(b["text"] == t("pl", "button.offer_details") for b in keyboard(m))]
    assert 1 <= len(cards) <= 5
    first = cards[0]
    assert first["parse_mode"] == "HTML" and first["text"].startswith("<b>1. ")
    assert [b["text"] for b in keyboard(first)] == [t("pl", "button.offer_details"), t("pl", "button.similar_offers")]
    assert all(len(b["callback_data"].encode()) <= 64 for m in messages for b in keyboard(m))
    footer = messages[-1]
    assert footer["visible_text"] == t("pl", "search.next_steps")
    assert t("pl", "button.refine_search") in [b["text"] for b in keyboard(footer)]
    assert not any("offer_cards" in m["text"] or '"cards"' in m["text"] for m in messages)

    title = first["visible_text"].split("\n", 1)[0][len("1. "):]
    before = len(telegram.called("answerCallbackQuery"))
    assert post_telegram(stack, telegram_update(11, chat, callback=keyboard(first)[0]["callback_data"])).status_code == 200
    assert len(telegram.called("answerCallbackQuery")) == before + 1
    details = sent_to(telegram, chat)[len(messages):]
    assert details, "no details after pressing the button"
    assert details[0]["visible_text"].startswith(f"{t('pl', 'offer.label.title')}: {title}"), details[0]
    assert t("pl", "offer.label.learning_outcomes") in details[0]["visible_text"]
    assert t("pl", "button.similar_offers") in [b["text"] for b in keyboard(details[-1])]


def test_telegram_stack_planner_from_a_button(platforms):
    stack, telegram, _ = platforms
    chat = 6003
    assert post_telegram(stack, telegram_update(20, chat, callback="/plan_stack", language="en")).status_code == 200
    messages = sent_to(telegram, chat)
    assert messages and all(m["visible_text"].strip() for m in messages)
    assert not any(m["visible_text"].startswith("{") for m in messages)


def plain(markdown):
    """A post's text without our Markdown escapes."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def mattermost_posts(mattermost, since):
    return [c.params for c in mattermost.called("POST /posts")][since:]


def test_mattermost_search_then_details_by_button(platforms):
    stack, _, mattermost = platforms
    before = len(mattermost.called("POST /posts"))
    outgoing = {"token": HOOK_TOKEN, "team_id": "team1", "team_domain": "guidance", "channel_id": CHANNEL,
                "channel_name": "counsellors", "timestamp": "1700000000000", "user_id": COUNSELLOR, "user_name": "ana",
                "post_id": "p1", "text": "@orienta caut un curs despre pompe de căldură", "trigger_word": "@orienta",
                "file_ids": ""}
    assert httpx.post(f"{stack.rasa_url}/webhooks/mattermost/webhook", data={**outgoing, "token": "forged"},
                      timeout=60).status_code == 401
    assert mattermost_posts(mattermost, before) == []
    reply = httpx.post(f"{stack.rasa_url}/webhooks/mattermost/webhook", data=outgoing, timeout=120)
    assert (reply.status_code, reply.json()) == (200, {})
    posts = mattermost_posts(mattermost, before)
    assert plain(posts[0]["message"]).startswith(t("ro", "search.found").split("{")[0]), posts[0]
    assert all(p["channel_id"] == CHANNEL for p in posts)

    def actions(post):
        return [a for att in (post.get("props") or {}).get("attachments", []) for a in att.get("actions", [])]

    cards = [p for p in posts if any(a["name"] == t("ro", "button.offer_details") for a in actions(p))]
    assert 1 <= len(cards) <= 5 and cards[0]["message"].startswith("**1\\. ")
    detail_action = actions(cards[0])[0]
    assert detail_action["integration"]["url"] == stack.rasa_url.replace("localhost", "127.0.0.1") + \
        "/webhooks/mattermost/webhook"  # ORIENTA_MATTERMOST_WEBHOOK_URL, as the fixture set it
    offer_id = json.loads("{" + detail_action["integration"]["context"]["action"].split("{", 1)[1])["offer_id"]
    assert HEAT_PUMP_OFFER.search(offer_id), offer_id
    assert not any("offer_cards" in p["message"] for p in posts)

    # Mattermost posts the button's integration context to its URL when the counsellor presses it
    pressed = {"user_id": COUNSELLOR, "user_name": "ana", "channel_id": CHANNEL, "channel_name": "counsellors",
               "team_id": "team1", "team_domain": "guidance", "post_id": "p2", "trigger_id": "t", "type": "",
               "data_source": "", "context": detail_action["integration"]["context"]}
    forged = {**pressed, "context": {**pressed["context"], "action": "/restart"}}
    assert httpx.post(detail_action["integration"]["url"], json=forged, timeout=60).status_code == 403
    count = len(mattermost.called("POST /posts"))
    assert httpx.post(detail_action["integration"]["url"], json=pressed, timeout=120).status_code == 200
    details = mattermost_posts(mattermost, count)
    assert details and details[0]["message"].startswith(f"**{t('ro', 'offer.label.title')}:"), details
