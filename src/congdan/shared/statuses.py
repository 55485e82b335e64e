"""The statuses a report can be in (DESIGN.md). Which moves between them exist is the reports
domain's rule (congdan.reports.states); routing and Open311 only need the names."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    SUBMITTED = "submitted"
    TRIAGE = "triage"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    TRANSFERRED = "transferred"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


OPEN = frozenset(
    {
        Status.SUBMITTED,
        Status.TRIAGE,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.TRANSFERRED,
        Status.REOPENED,
    }
)
FINAL = frozenset({Status.CLOSED, Status.REJECTED, Status.DUPLICATE})
