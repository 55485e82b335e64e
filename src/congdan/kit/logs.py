"""One log configuration for every process: structlog's lines and the standard library's
(uvicorn, SQLAlchemy's warnings) leave through the same renderer, each with the request id of the
request or outbox row it belongs to."""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from congdan.kit import requestid


def add_request_id(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    value = requestid.bound.get()
    if value is not None:
        event.setdefault("request_id", value)
    return event


def chosen_format(setting: Literal["json", "console"] | None, stream: TextIO) -> str:
    if setting is not None:
        return setting
    return "console" if stream.isatty() else "json"


def configure(
    level_name: str, log_format: Literal["json", "console"] | None, stream: TextIO | None = None
) -> None:
    stream = stream or sys.stderr
    level = getattr(logging, level_name.upper(), logging.INFO)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any
    if chosen_format(log_format, stream) == "json":
        # Vietnamese as it is written, not as \u escapes: people read these lines too.
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
        shared.append(structlog.processors.format_exc_info)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=stream.isatty())
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn installs handlers of its own unless told not to; its lines join the root's.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.captureWarnings(True)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
