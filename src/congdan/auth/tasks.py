"""Delivering one-time codes lives with the other messages, in congdan.notifications.tasks."""
