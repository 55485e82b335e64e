"""ORM classes, one module per aggregate. Importing this package registers every table."""

from congdan.models.accounts import Account, ApiKey, ApiToken, OtpChallenge

# Notifications (issue 5)
from congdan.models.announcements import Announcement, AnnouncementAttachment, Subscription
from congdan.models.idempotency import IdempotencyKey
from congdan.models.notifications import (
    NotificationOptOut,
    NotificationPreference,
    PushSubscription,
    ReportFollower,
)
from congdan.models.outbox import Delivery, Notification, OutboxMessage
from congdan.models.reference import Agency, Area, Category
from congdan.models.reports import Media, Report, ReportEvent

__all__ = [
    "Account",
    "Agency",
    "Announcement",
    "AnnouncementAttachment",
    "ApiKey",
    "ApiToken",
    "Area",
    "Category",
    "Delivery",
    "IdempotencyKey",
    "Media",
    "Notification",
    "NotificationOptOut",
    "NotificationPreference",
    "OtpChallenge",
    "OutboxMessage",
    "PushSubscription",
    "Report",
    "ReportEvent",
    "ReportFollower",
    "Subscription",
]
