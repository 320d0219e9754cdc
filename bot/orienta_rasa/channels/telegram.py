"""Telegram: Rasa's channel with a configurable Bot API server, verified webhooks and compact native messages.

Differences from `rasa.core.channels.telegram`, and why:
- the Bot API base URL is a setting (a self-hosted Bot API server, or a local
  fake in the tests);
- every update must carry the `X-Telegram-Bot-Api-Secret-Token` registered
  with `setWebhook` (ORIENTA_TELEGRAM_SECRET, else one derived from the bot
  token), otherwise 401 and nothing reaches a conversation; the webhook is
  registered when the server has started, not while Rasa loads channels;
- one bot message is one Telegram message (split only past 4096 characters),
  HTML-escaped, with the offer title in bold, the citation in italics and no
  link previews; buttons are an inline keyboard whose callback_data is the
  payload, or a short key for payloads over 64 bytes (`payload_keys`);
- Orienta's `offer_cards`/`offer_details` custom payloads are not posted (the
  texts carry the same facts); a button press is acknowledged
  (`answerCallbackQuery`) so the client stops its spinner;
- the sender's `language_code` becomes the message's `metadata.language`.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Mapping, Optional, Sequence, Text

from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from orienta.catalogs import translations_for

from .base import DeliveringInput, OnNewMessage, same_secret, signature
from .formatting import button_rows, extra_of, is_internal_json, telegram_html, titles
from .payload_keys import PayloadKeys

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
START_COMMAND = "/start"
START_PAYLOAD = "/greet"  # Telegram sends /start when someone opens the bot: greet them


def N_(message_id: str) -> str:
    """Marks a message id for extraction (`make i18n`)."""
    return message_id


BUTTON_EXPIRED = N_("channel.button_expired")


def derived_secret(access_token: str) -> str:
    """The webhook secret when none is configured: stable for the token, unknown to anyone without it."""
    return signature(access_token, "orienta-telegram-webhook")


class OrientaTelegramOutput(TelegramOutput):
    """Sends the bot's messages through the Bot API at `api_url`."""

    def __init__(self, access_token: Text, api_url: Text = DEFAULT_API_URL,
                 payload_keys: Optional[PayloadKeys] = None) -> None:
        Bot.__init__(self, access_token, server=TelegramAPIServer.from_base(api_url or DEFAULT_API_URL))
        self.payload_keys = payload_keys or PayloadKeys()

    def keyboard(self, buttons: Sequence[Mapping[str, Any]]) -> Optional[InlineKeyboardMarkup]:
        """An inline keyboard: web links open, every other payload comes back as callback_data."""
        if not buttons:
            return None
        labels = titles(buttons)
        made = []
        for label, button in zip(labels, buttons):
            payload = str(button.get("payload") or label)
            if payload.startswith(("https://", "http://")):
                made.append(InlineKeyboardButton(label, url=payload))
            else:
                made.append(InlineKeyboardButton(label, callback_data=self.payload_keys.callback_data(payload)))
        return InlineKeyboardMarkup(inline_keyboard=[[made[i] for i in row] for row in button_rows(labels)])

    async def send_formatted(self, recipient_id: Text, text: Optional[Text],
                             buttons: Sequence[Mapping[str, Any]], extra: Mapping[str, Any]) -> None:
        chunks = telegram_html(text, buttons, extra)
        if not chunks and buttons:
            chunks = ["\u2193"]  # Telegram needs a text under a keyboard
        markup = self.keyboard(buttons)
        for number, chunk in enumerate(chunks, 1):
            try:
                await self.send_message(recipient_id, chunk, parse_mode="HTML", disable_web_page_preview=True,
                                        reply_markup=markup if number == len(chunks) else None)
            except TelegramAPIError as error:
                logger.error("Telegram did not take a message for chat %s: %s", recipient_id, error)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_formatted(recipient_id, text, (), extra_of(kwargs))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        await self.send_formatted(recipient_id, text, buttons, extra_of(kwargs))

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        """Orienta's own payloads are for web clients; Telegram-shaped ones (Rasa's format) are sent."""
        if is_internal_json(json_message):
            return
        try:
            await super().send_custom_json(recipient_id, json_message, **kwargs)
        except TelegramAPIError as error:
            logger.error("Telegram did not take a custom message for chat %s: %s", recipient_id, error)


class OrientaTelegramInput(DeliveringInput, TelegramInput):
    """`/webhooks/telegram/webhook`: verified updates in, formatted answers out."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials or not credentials.get("access_token"):
            cls.raise_missing_credentials_exception()
        return cls(credentials["access_token"], credentials.get("webhook_url"),
                   api_url=credentials.get("api_url") or DEFAULT_API_URL,
                   secret_token=credentials.get("secret_token"),
                   button_store=credentials.get("button_store"))

    def __init__(self, access_token: Text, webhook_url: Optional[Text], api_url: Text = DEFAULT_API_URL,
                 secret_token: Optional[Text] = None, button_store: Optional[Text] = None) -> None:
        super().__init__(access_token, None, webhook_url, debug_mode=False)
        self.api_url = api_url
        self.secret_token = secret_token or derived_secret(access_token)
        self.payload_keys = PayloadKeys(button_store)
        self._output: Optional[OrientaTelegramOutput] = None

    def get_output_channel(self) -> OrientaTelegramOutput:
        """One Bot API client per channel (its HTTP session lives on the server's event loop)."""
        if self._output is None:
            self._output = OrientaTelegramOutput(self.access_token, self.api_url, self.payload_keys)
        return self._output

    async def register_webhook(self) -> bool:
        """setWebhook with our secret, so that Telegram sends it with every update."""
        if not self.webhook_url:
            return False
        try:
            await self.get_output_channel().request("setWebhook", {
                "url": self.webhook_url, "secret_token": self.secret_token,
                "allowed_updates": json.dumps(ALLOWED_UPDATES)})
        except TelegramAPIError as error:
            logger.error("Telegram refused the webhook %s: %s", self.webhook_url, error)
            return False
        logger.info("Telegram webhook set to %s", self.webhook_url)
        return True

    def user_message(self, update: Update, out_channel: OrientaTelegramOutput) -> Optional[UserMessage]:
        """The user message an update carries (a text or a button press), or None (stickers, edits, ...)."""
        callback = update.callback_query
        if callback is not None:
            sender, chat = callback.from_user, callback.message.chat.id if callback.message else callback.from_user.id
            text = self.payload_keys.resolve(callback.data or "")
            if not text:
                return None
        elif update.message is not None and update.message.text:
            sender, chat, text = update.message.from_user, update.message.chat.id, update.message.text
            if text.split("@", 1)[0].strip() == START_COMMAND:
                text = START_PAYLOAD
        else:
            return None
        return UserMessage(text, out_channel, str(chat), input_channel=self.name(), metadata=self.metadata(sender))

    @staticmethod
    def metadata(sender: Optional[User]) -> Dict[Text, Any]:
        language = getattr(sender, "language_code", None)
        return {"language": language} if language else {}

    async def expired_button(self, update: Update, out_channel: OrientaTelegramOutput) -> None:
        callback = update.callback_query
        chat = callback.message.chat.id if callback.message else callback.from_user.id
        text = translations_for(callback.from_user.language_code or "").gettext(BUTTON_EXPIRED)
        await out_channel.send_formatted(str(chat), text, (), {})

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        telegram_webhook = Blueprint("telegram_webhook", __name__)

        @telegram_webhook.listener("after_server_start")
        async def set_webhook(*_: Any) -> None:
            await self.register_webhook()

        @telegram_webhook.listener("before_server_stop")
        async def close_session(*_: Any) -> None:
            if self._output is not None and self._output._session is not None:  # noqa: SLF001 - aiogram's session
                await self._output._session.close()  # noqa: SLF001

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not same_secret(request.headers.get(SECRET_HEADER), self.secret_token):
                logger.warning("Telegram webhook: request without the right secret token refused")
                return response.json({"ok": False, "description": "Unauthorized"}, status=401)
            try:
                update = Update(**(request.json or {}))
            except Exception:  # noqa: BLE001 - anything that is not an update
                return response.json({"ok": False, "description": "Bad Request: not an update"}, status=400)
            out_channel = self.get_output_channel()
            if update.callback_query is not None:
                try:
                    await out_channel.answer_callback_query(update.callback_query.id)
                except TelegramAPIError as error:
                    logger.info("Telegram: could not acknowledge a button press: %s", error)
            message = self.user_message(update, out_channel)
            if message is not None:
                await self.deliver(on_new_message, message)
            elif update.callback_query is not None:
                await self.expired_button(update, out_channel)
            return response.text("success")

        return telegram_webhook
