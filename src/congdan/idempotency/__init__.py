"""Idempotency-Key: a write a phone may retry is done once, and a retry gets the first answer."""
