"""The browser app: the join page (device check, waiting room, call, summary) and its assets."""

from .routes import BrowserAppNotBuilt, setup_web

__all__ = ["BrowserAppNotBuilt", "setup_web"]
