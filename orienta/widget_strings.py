"""The web widget's and demo page's message ids: their texts live in the gettext catalogs like every other string.

The widget (widget/src/orienta-widget.js) fetches them as `/widget/i18n/<lang>.json`,
built by orienta/demo_site.py from these ids at request time, so a translation
fixed in a catalog reaches the page without rebuilding the widget.
"""
from __future__ import annotations

from typing import Tuple


def N_(message_id: str) -> str:
    """Marks a message id for extraction (`make i18n`); translation happens when the JSON is served."""
    return message_id


# The widget's own words; the widget looks each one up by the part after "widget.".
WIDGET_STRINGS: Tuple[str, ...] = (
    N_("widget.title"),            # default panel title (data-title overrides it)
    N_("widget.open"),             # the floating button that opens the chat
    N_("widget.close"),            # its label while the chat is open
    N_("widget.input_label"),      # screen-reader label of the message field
    N_("widget.placeholder"),      # the message field's placeholder
    N_("widget.send"),
    N_("widget.connecting"),
    N_("widget.connection_lost"),
    N_("widget.not_sent"),         # the learner sent while offline
    N_("widget.you"),              # who said a message, read by screen readers
    N_("widget.bot_name"),
    N_("widget.typing"),
    N_("widget.log_label"),        # the conversation log's accessible name
    N_("widget.intro"),            # shown in an empty conversation
    N_("widget.language_label"),   # the language selector's label
    N_("widget.new_conversation"),
    N_("widget.course_page"),      # the link to an offer's page
    N_("widget.new_tab"),          # appended (for screen readers) to links that open a new tab
)

# The demo provider page served by `make run` (http://localhost:8080/).
DEMO_STRINGS: Tuple[str, ...] = (
    N_("demo.page_title"),
    N_("demo.provider_name"),
    N_("demo.heading"),
    N_("demo.intro"),
    N_("demo.courses_heading"),
    N_("demo.course_1"),
    N_("demo.course_2"),
    N_("demo.course_3"),
    N_("demo.chat_hint"),
    N_("demo.languages"),
    N_("demo.footer"),
)
