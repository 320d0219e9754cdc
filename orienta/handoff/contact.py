"""How the learner wants to be contacted: an e-mail address, a phone number, or this chat."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional

EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")
# International or national numbers: digits with spaces, dots, dashes, brackets; 7 to 15 digits (E.164).
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().-]{5,20}\d(?!\w)")
CHAT = "chat"


@dataclass(frozen=True)
class Contact:
    method: str  # "email" | "phone" | "chat"
    value: Optional[str] = None


def parse_contact(text: str, is_chat: Callable[[str], bool] = lambda text: False) -> Optional[Contact]:
    """The contact in a message, or None when there is none we can use.

    `is_chat` tells whether the message means "here in this chat" in the learner's language.
    """
    text = (text or "").strip()
    if not text:
        return None
    if text.lower() == CHAT:
        return Contact(CHAT)
    email = EMAIL.search(text)
    if email:
        return Contact("email", email.group(0))
    for match in PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 7 <= len(digits) <= 15:
            number = match.group(0).strip()
            return Contact("phone", ("+" if number.startswith("+") else "") + digits)
    return Contact(CHAT) if is_chat(text) else None
