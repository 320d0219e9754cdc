"""Orienta's custom actions (rasa-sdk); one module per concern, each action thin."""
