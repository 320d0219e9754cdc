"""Orienta's plugins for the Rasa server: language detection and localized NLG."""
