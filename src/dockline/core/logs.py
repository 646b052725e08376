"""JSON logs (DOCKLINE_LOG_FORMAT=json): one event per line, with connection and order ids when given.

Callers pass ids as `extra={"connection_id": ..., "order_id": ...}`; they become top-level keys.
"""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

FIELDS = ("connection_id", "order_id", "channel_id", "warehouse_id", "alert_id")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {"at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                event[name] = value
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, default=str)
