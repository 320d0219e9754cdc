"""Orienta's shared plumbing: settings, endpoint rendering, message extraction, command line."""
