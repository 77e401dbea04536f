"""One log format for everything the hub process prints: the server (granian), the hub, and the libraries.

Plain by default (``2026-05-01T12:00:00Z INFO reference_hub.credentials: ...``), one JSON object per line with
``log_format: json`` for log collectors. The server applies the same configuration in every worker it starts.
Messages never carry a token: the hub logs partner ids, party ids, URLs without passwords and outcomes.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class PlainFormatter(logging.Formatter):
    """``TIME LEVEL LOGGER: MESSAGE`` in UTC, with any traceback indented below it."""

    converter = time.gmtime  # type: ignore[assignment]  # UTC, as every OCPI time

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", TIME_FORMAT)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a traceback goes into ``exception`` so the line stays one line."""

    converter = time.gmtime  # type: ignore[assignment]  # UTC, as every OCPI time

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, TIME_FORMAT),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_config(log_format: str = "plain", level: str = "info", stream: str = "stdout") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the hub process and granian's workers (its ``log_dictconfig``).

    ``stream``: ``stdout`` for the server; ``stderr`` for the other commands, whose standard output is data (tokens)."""
    formatter = "json" if log_format == "json" else "plain"
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"()": f"{__name__}.PlainFormatter"},
            "json": {"()": f"{__name__}.JsonFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": formatter, "stream": f"ext://sys.{stream}"},
        },
        "loggers": {
            # granian's own loggers do not propagate; give them the same handler
            "_granian": {"handlers": ["console"], "level": upper, "propagate": False},
            "granian.access": {"handlers": ["console"], "level": upper, "propagate": False},
            # one line per outbound request would drown the events an operator looks for
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
        "root": {"handlers": ["console"], "level": upper},
    }


def configure(log_format: str = "plain", level: str = "info", stream: str = "stdout") -> None:
    """Apply :func:`log_config` in this process (the server's main process and the CLI's other commands)."""
    import logging.config

    logging.config.dictConfig(log_config(log_format, level, stream))


__all__ = ("JsonFormatter", "PlainFormatter", "configure", "log_config")
