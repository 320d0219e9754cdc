"""Messaging channels for counsellors (Telegram, Mattermost): Rasa input/output channels with native formatting.

Rasa loads them by module path from credentials.yml, which orienta/credentials.py
renders from the environment (README, "Channels"). Formatting that does not depend
on a platform's API lives in `formatting`; the short keys for long Telegram button
payloads in `payload_keys`.
"""
