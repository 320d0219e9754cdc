"""Shared test set-up: the Rasa-side plugin tests run only in the Rasa (Python 3.10) environment."""
import importlib.util

collect_ignore = [] if importlib.util.find_spec("rasa") else ["rasa_plugins"]
