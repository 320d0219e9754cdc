"""Mattermost: Rasa's channel with verified webhooks, non-blocking posts and compact native messages.

Counsellors talk to the bot through an outgoing webhook (trigger word, or every
message of a channel) and get the answers as posts by a bot account. Differences
from `rasa.core.channels.mattermost`, and why:
- the outgoing webhook's `token` is checked (401 otherwise); button presses
  (interactive message actions, which carry no token) are trusted only when
  their context carries our HMAC signature of the payload (403 otherwise);
- posts go out with aiohttp instead of blocking `requests` calls, and a 201
  (what Mattermost answers to `POST /api/v4/posts`) counts as success;
- one bot message is one post, Markdown-escaped (catalogue text shows
  literally, @-mentions in it do not notify anyone), the offer title in bold
  and the citation in italics; buttons are message-attachment actions posting
  back to our webhook; Orienta's `offer_cards`/`offer_details` custom payloads
  are not posted;
- the user's Mattermost locale (`GET /api/v4/users/{id}`) becomes the
  message's `metadata.language`; the bot's own posts are ignored.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Sequence, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.mattermost import MattermostBot, MattermostInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from .base import DeliveringInput, OnNewMessage, same_secret, signature
from .formatting import extra_of, is_internal_json, mattermost_markdown, titles

logger = logging.getLogger(__name__)
API_PATH = "/api/v4"
TIMEOUT = aiohttp.ClientTimeout(total=30)


def api_base(url: Text) -> Text:
    """'https://chat.example.org' or '.../api/v4' -> '.../api/v4'."""
    url = url.rstrip("/")
    return url if url.endswith(API_PATH) else url + API_PATH


def action_signature(key: Text, payload: Text) -> Text:
    return signature(key, "mattermost-action", payload)


class OrientaMattermostOutput(MattermostBot):
    """Posts the bot's messages into one channel as the bot account."""

    def __init__(self, url: Text, token: Text, bot_channel: Text, webhook_url: Optional[Text],
                 action_key: Text) -> None:
        super().__init__(api_base(url), token, bot_channel, webhook_url)
        self.action_key = action_key

    async def post(self, data: Dict[Text, Any]) -> Optional[Dict[Text, Any]]:
        """POST /posts; the created post, or None (logged) when Mattermost refuses it."""
        data = {"channel_id": self.bot_channel, **data}
        try:
            async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
                async with session.post(self.url + "/posts", json=data,
                                        headers={"Authorization": "Bearer " + self.token}) as reply:
                    body = await reply.json(content_type=None)
                    if 200 <= reply.status < 300:
                        return body
                    logger.error("Mattermost refused a post to channel %s: %s %s", data.get("channel_id"),
                                 reply.status, (body or {}).get("message") if isinstance(body, dict) else body)
        except (aiohttp.ClientError, ValueError, OSError) as error:
            logger.error("Mattermost unreachable at %s: %s", self.url, error)
        return None

    def actions(self, buttons: Sequence[Mapping[str, Any]]) -> List[Dict[Text, Any]]:
        """Message-attachment buttons that post their payload back to our webhook, signed."""
        made = []
        for label, button in zip(titles(buttons), buttons):
            payload = str(button.get("payload") or label)
            made.append({"name": label, "type": "button", "integration": {
                "url": self.webhook_url,
                "context": {"action": payload, "signature": action_signature(self.action_key, payload)}}})
        return made

    async def send_formatted(self, text: Optional[Text], buttons: Sequence[Mapping[str, Any]],
                             extra: Mapping[str, Any]) -> None:
        chunks = mattermost_markdown(text, buttons, extra) or ([""] if buttons else [])
        for number, chunk in enumerate(chunks, 1):
            post: Dict[Text, Any] = {"message": chunk}
            if buttons and number == len(chunks):
                post["props"] = {"attachments": [{"actions": self.actions(buttons)}]}
            await self.post(post)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_formatted(text, (), extra_of(kwargs))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        await self.send_formatted(text, buttons, extra_of(kwargs))

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.post({"message": "", "props": {"attachments": [{"image_url": image}]}})

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        """Orienta's own payloads are for web clients; anything else is taken as Mattermost post fields."""
        if is_internal_json(json_message):
            return
        await self.post({"message": "", **json_message})


class OrientaMattermostInput(DeliveringInput, MattermostInput):
    """`/webhooks/mattermost/webhook`: the outgoing webhook's posts and the buttons' actions."""

    LOCALE_CACHE_SIZE = 1000

    @classmethod
    def name(cls) -> Text:
        return "mattermost"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials or not all(credentials.get(k) for k in ("url", "token", "webhook_url", "hook_token")):
            cls.raise_missing_credentials_exception()
        return cls(credentials["url"], credentials["token"], credentials["webhook_url"], credentials["hook_token"])

    def __init__(self, url: Text, token: Text, webhook_url: Text, hook_token: Text) -> None:
        super().__init__(api_base(url), token, webhook_url)
        self.hook_token = hook_token
        self._bot_user_id: Optional[Text] = None
        self._locales: "OrderedDict[Text, Optional[Text]]" = OrderedDict()

    def output_for(self, channel_id: Text) -> OrientaMattermostOutput:
        """Answers go to the channel the message came from (so no `get_output_channel` without a message)."""
        return OrientaMattermostOutput(self.url, self.token, channel_id, self.webhook_url, self.hook_token)

    async def _get(self, path: Text) -> Optional[Dict[Text, Any]]:
        try:
            async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
                async with session.get(self.url + path, headers={"Authorization": "Bearer " + self.token}) as reply:
                    if reply.status == 200:
                        return await reply.json(content_type=None)
                    logger.info("Mattermost GET %s: %s", path, reply.status)
        except (aiohttp.ClientError, ValueError, OSError) as error:
            logger.info("Mattermost GET %s failed: %s", path, error)
        return None

    async def bot_user_id(self) -> Optional[Text]:
        if self._bot_user_id is None:
            me = await self._get("/users/me")
            self._bot_user_id = (me or {}).get("id")
        return self._bot_user_id

    async def user_locale(self, user_id: Text) -> Optional[Text]:
        """The user's Mattermost interface language ('pl', 'en-AU'), cached; None when unknown."""
        if user_id in self._locales:
            self._locales.move_to_end(user_id)
            return self._locales[user_id]
        user = await self._get(f"/users/{user_id}")
        locale = (user or {}).get("locale") or None
        if user is not None:
            self._locales[user_id] = locale
            while len(self._locales) > self.LOCALE_CACHE_SIZE:
                self._locales.popitem(last=False)
        return locale

    @staticmethod
    def without_trigger(text: Text, trigger_word: Optional[Text]) -> Text:
        """'@orienta find a Python course' -> 'find a Python course' (only when it starts with the trigger)."""
        text = (text or "").strip()
        if trigger_word and text.lower().startswith(trigger_word.lower()):
            text = text[len(trigger_word):].lstrip(" :,")
        return text

    @staticmethod
    async def request_fields(request: Request) -> Dict[Text, Any]:
        """The webhook's fields: Mattermost sends JSON or a form, depending on the webhook's content type."""
        if (request.content_type or "").startswith("application/json"):
            body = request.json
            return body if isinstance(body, dict) else {}
        return {key: values[0] for key, values in (request.form or {}).items() if values}

    async def user_message(self, text: Text, user_id: Text, channel_id: Text) -> UserMessage:
        locale = await self.user_locale(user_id) if user_id else None
        return UserMessage(text, self.output_for(channel_id), user_id, input_channel=self.name(),
                           metadata={"language": locale} if locale else {})

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        mattermost_webhook = Blueprint("mattermost_webhook", __name__)

        @mattermost_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @mattermost_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            try:
                fields = await self.request_fields(request)
            except Exception:  # noqa: BLE001 - a body that is neither JSON nor a form
                return response.json({"error": "bad request"}, status=400)
            context = fields.get("context")
            if isinstance(context, dict):  # a button press (interactive message action)
                payload = str(context.get("action") or "")
                if not payload or not same_secret(context.get("signature"),
                                                  action_signature(self.hook_token, payload)):
                    logger.warning("Mattermost action without a valid signature refused")
                    return response.json({"error": "forbidden"}, status=403)
                text = payload
            else:  # the outgoing webhook
                if not same_secret(fields.get("token"), self.hook_token):
                    logger.warning("Mattermost webhook: request without the right token refused")
                    return response.json({"error": "unauthorized"}, status=401)
                if fields.get("user_id") and fields.get("user_id") == await self.bot_user_id():
                    return response.json({})
                text = self.without_trigger(fields.get("text") or "", fields.get("trigger_word"))
            user_id, channel_id = str(fields.get("user_id") or ""), str(fields.get("channel_id") or "")
            if text and user_id and channel_id:
                await self.deliver(on_new_message, await self.user_message(text, user_id, channel_id))
            return response.json({})

        return mattermost_webhook
