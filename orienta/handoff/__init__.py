"""Handing a conversation to a person: requests, summaries, counsellor notifications.

The action server creates requests (actions/human_handoff.py); counsellors and
operators list and resolve them with `orienta handoff`; `orienta handoff worker`
delivers notifications that failed and ends pauses that timed out.
"""
