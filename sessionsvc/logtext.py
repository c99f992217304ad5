"""What a log line may hold: one line of printable text, whatever a client sent.

Paths, event names, error messages and addresses reach log lines from clients. Escaping them where
each line is written would miss one, so the escaping happens where every line leaves: a filter on
the log handlers writes each message with its control characters (CR, LF, ESC, NUL, …), Unicode
line separators and unencodable surrogates as escapes, so no client can forge a line or a
terminal sequence. And errors that are the client's (a malformed request line) are one short
line, not a traceback.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

ENGINEIO_LOGGER = "sessionsvc.wire.engineio"
SOCKETIO_LOGGER = "sessionsvc.wire.socketio"
"""The loggers python-engineio and python-socketio are given: under ours (so every line is
escaped, and they add no handler of their own), at warning level (theirs at info would log every
packet, payloads and names included)."""

_ESCAPES = {i: f"\\x{i:02x}" for i in (*range(0x20), *range(0x7F, 0xA0))}
_ESCAPES.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
_ESCAPES.update({0x2028: "\\u2028", 0x2029: "\\u2029"})


def escape(text: str) -> str:
    """``text`` as one printable line: control characters, line separators and lone
    surrogates escaped."""
    escaped = text.translate(_ESCAPES)
    try:
        escaped.encode("utf-8")
    except UnicodeEncodeError:
        escaped = escaped.encode("utf-8", "backslashreplace").decode("utf-8")
    return escaped


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


class EscapingFilter(logging.Filter):
    """Makes every record's message one printable line (tracebacks, written by the formatter
    after it, keep their lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = escape(record.getMessage())
        record.msg, record.args = message, None
        return True


class ClientErrorFilter(logging.Filter):
    """aiohttp's server logs a request it cannot parse (a malformed request line or header)
    with a traceback; that is the client's error: one short line, at warning level."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            said = record.getMessage()
            record.msg, record.args = "%s: %s %s", (said, error.code, _first_line(error.message))
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class WireErrorFilter(logging.Filter):
    """engine.io logs a frame it cannot decode (an unknown packet type, say) with a traceback;
    below the Socket.IO packets every error is the client's malformed frame: one short line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            said = record.getMessage()
            record.msg, record.args = "%s: malformed frame (%s)", (said, type(error).__name__)
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def wire_logger(name: str) -> logging.Logger:
    """``ENGINEIO_LOGGER`` or ``SOCKETIO_LOGGER``, at warning level or above."""
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET or logger.level < logging.WARNING:
        logger.setLevel(logging.WARNING)
    return logger


def configure_logging(level: str) -> None:
    """Log to stderr at ``level``, every line escaped, client errors short."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(EscapingFilter())
    logging.getLogger("aiohttp.server").addFilter(ClientErrorFilter())
    logging.getLogger(ENGINEIO_LOGGER).addFilter(WireErrorFilter())
