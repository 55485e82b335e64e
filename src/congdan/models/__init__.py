"""ORM classes, one module per aggregate. Importing this package registers every table."""

from congdan.models.accounts import Account, ApiKey, ApiToken, OtpChallenge
from congdan.models.audit import AuditEntry
from congdan.models.idempotency import IdempotencyKey
from congdan.models.outbox import Delivery, Notification, OutboxMessage
from congdan.models.privacy import Consent
from congdan.models.reference import Agency, Area, Category
from congdan.models.reports import Media, Report, ReportEvent

__all__ = [
    "Account",
    "Agency",
    "ApiKey",
    "ApiToken",
    "Area",
    "AuditEntry",
    "Category",
    "Consent",
    "Delivery",
    "IdempotencyKey",
    "Media",
    "Notification",
    "OtpChallenge",
    "OutboxMessage",
    "Report",
    "ReportEvent",
]
