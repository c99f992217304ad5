"""sessionsvc: in-platform video sessions for a wellbeing marketplace."""

__version__ = "0.1.0"
