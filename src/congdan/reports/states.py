"""The report status machine of DESIGN.md, in one place (the statuses themselves are in
congdan.shared.statuses, which other domains read without reading reports).

Which moves exist is a rule of the domain and lives here; who may make each move is a
permission and lives in congdan.authz.
"""

from __future__ import annotations

from congdan.kit.i18n import Phrase, _
from congdan.shared.statuses import FINAL, OPEN, Status

__all__ = ["FINAL", "LABELS", "NOTE_REQUIRED", "OPEN", "TRANSITIONS", "Status", "allowed", "label"]


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.ASSIGNED, Status.TRIAGE, Status.REJECTED, Status.DUPLICATE}),
    Status.TRIAGE: frozenset({Status.ASSIGNED, Status.REJECTED, Status.DUPLICATE}),
    # assigned → assigned is a reassignment to another agency by a coordinator.
    Status.ASSIGNED: frozenset(
        {Status.ASSIGNED, Status.IN_PROGRESS, Status.TRANSFERRED, Status.REJECTED, Status.DUPLICATE}
    ),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED, Status.TRANSFERRED, Status.DUPLICATE}),
    Status.TRANSFERRED: frozenset({Status.ASSIGNED, Status.REJECTED, Status.DUPLICATE}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.REOPENED}),
    Status.REOPENED: frozenset({Status.ASSIGNED, Status.DUPLICATE}),
    Status.CLOSED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.DUPLICATE: frozenset(),
}


def allowed(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


# Moves that need a note the resident will read. Not accepting one needs a reason from the list
# instead (the note is then optional, except with the reason "other").
NOTE_REQUIRED = frozenset({Status.TRANSFERRED, Status.RESOLVED, Status.REOPENED})


# The status in the words a resident reads (UI.md); messages and pages translate these, never the code.
LABELS: dict[Status, str] = {
    Status.SUBMITTED: _("Đã tiếp nhận"),
    Status.TRIAGE: _("Đang phân loại"),
    Status.ASSIGNED: _("Đã chuyển cơ quan xử lý"),
    Status.IN_PROGRESS: _("Đang xử lý"),
    Status.TRANSFERRED: _("Đang chuyển cơ quan"),
    Status.RESOLVED: _("Đã giải quyết"),
    Status.REOPENED: _("Mở lại"),
    Status.CLOSED: _("Đã đóng"),
    Status.REJECTED: _("Không tiếp nhận"),
    Status.DUPLICATE: _("Trùng phản ánh khác"),
}


def label(status: str) -> Phrase:
    """The Vietnamese words for a status code, translated wherever a message carries them as a parameter."""
    try:
        return Phrase(LABELS[Status(status)])
    except ValueError:
        return Phrase(status)
