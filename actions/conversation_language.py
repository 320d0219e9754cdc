"""The language the actions answer in."""
from rasa_sdk import Tracker

from orienta.conversation_language import turn_language


def conversation_language(tracker: Tracker) -> str:
    """The language of this turn, even before Rasa has stored it in the slot (orienta.conversation_language)."""
    return turn_language(tracker.slots, tracker.latest_message or {})
