"""What the Open311 surface takes in, once the HTTP layer has read the query or the form."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestIn:
    service_code: str | None = None
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    # attribute[code] and attribute[code][] both land here, every value sent for the code.
    attributes: dict[str, list[str]] = field(default_factory=dict)
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = None
    media_url: str | None = None
    media: bytes | None = None


@dataclass(frozen=True)
class RequestsQuery:
    service_request_id: str | None = None
    service_code: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    status: str | None = None
    # Extensions, used only when the client sends them.
    extensions: str | None = None
    page: str | None = None
    page_size: str | None = None
    updated_after: str | None = None
    updated_before: str | None = None
