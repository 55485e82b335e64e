"""Outbox handlers for report events.

Telling residents and staff about a report's steps lives in congdan.notifications.tasks.
"""
