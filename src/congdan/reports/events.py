"""The names of the reports' outbox events, shared by the services that emit them and the handlers."""

from __future__ import annotations

SUBMITTED = "report.submitted"
STATUS_CHANGED = "report.status_changed"
REPLIED = "report.replied"
INFO_REQUESTED = "report.info_requested"
PROGRESS_POSTED = "report.progress_posted"
NOTE_ADDED = "report.note_added"
RATED = "report.rated"
CATEGORY_CHANGED = "report.category_changed"
# Staff reminders the workbench's deadline sweeps emit (payload: report_id, and note for escalations).
DUE_SOON = "report.due_soon"
OVERDUE = "report.overdue"
ESCALATED = "report.escalated"
