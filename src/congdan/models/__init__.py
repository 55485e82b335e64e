"""ORM classes, one module per aggregate. Importing this package registers every table."""

from congdan.models.accounts import Account, ApiKey, ApiToken, OtpChallenge
from congdan.models.idempotency import IdempotencyKey

# Notifications (issue 5)
from congdan.models.notifications import NotificationOptOut, NotificationPreference, ReportFollower
from congdan.models.outbox import Delivery, Notification, OutboxMessage
from congdan.models.reference import Agency, Area, Category
from congdan.models.reports import Media, Report, ReportEvent

__all__ = [
    "Account",
    "Agency",
    "ApiKey",
    "ApiToken",
    "Area",
    "Category",
    "Delivery",
    "IdempotencyKey",
    "Media",
    "Notification",
    # Notifications (issue 5)
    "NotificationOptOut",
    "NotificationPreference",
    "OtpChallenge",
    "OutboxMessage",
    "Report",
    "ReportEvent",
    "ReportFollower",
]
