"""The browser app: the join page (device check, waiting room, call, summary) and its assets."""

from .routes import setup_web

__all__ = ["setup_web"]
