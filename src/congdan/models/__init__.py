"""ORM classes, one module per aggregate. Importing this package registers every table."""

from congdan.models.accounts import Account, ApiKey, ApiToken, OtpChallenge, ReportToken, ResidentSession
from congdan.models.announcements import Announcement, AnnouncementAttachment, Subscription
from congdan.models.audit import AuditEntry
from congdan.models.catalogue import Procedure, ProcedureVersion
from congdan.models.idempotency import IdempotencyKey
from congdan.models.notifications import NotificationOptOut, NotificationPreference, PushSubscription
from congdan.models.open311 import Open311Submission
from congdan.models.outbox import Delivery, Notification, OutboxMessage
from congdan.models.privacy import Consent
from congdan.models.reference import Agency, Area, Category
from congdan.models.reports import Media, Report, ReportEvent, ReportFollower
from congdan.models.routing import ClassifierExample, ClassifierModel, RoutingRule
from congdan.models.staff import RecoveryCode, StaffFactor, StaffSession
from congdan.models.workbench import RejectionReason, ReplyTemplate

__all__ = [
    "Account",
    "Agency",
    "Announcement",
    "AnnouncementAttachment",
    "ApiKey",
    "ApiToken",
    "Area",
    "AuditEntry",
    "Category",
    "ClassifierExample",
    "ClassifierModel",
    "Consent",
    "Delivery",
    "IdempotencyKey",
    "Media",
    "Notification",
    "NotificationOptOut",
    "NotificationPreference",
    "Open311Submission",
    "OtpChallenge",
    "OutboxMessage",
    "Procedure",
    "ProcedureVersion",
    "PushSubscription",
    "RecoveryCode",
    "RejectionReason",
    "ReplyTemplate",
    "Report",
    "ReportEvent",
    "ReportFollower",
    "ReportToken",
    "ResidentSession",
    "RoutingRule",
    "StaffFactor",
    "StaffSession",
    "Subscription",
]
