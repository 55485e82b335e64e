"""Per-operation body limits, declared on the route and read by the app's BodySizeLimit."""

from __future__ import annotations

BODY_LIMIT_KEY = "x-max-body-bytes"


def body_limit(max_bytes: int) -> dict[str, object]:
    """A route's `openapi_extra` for a JSON body limit other than the default; the API description
    shows it to clients."""
    return {BODY_LIMIT_KEY: max_bytes}
