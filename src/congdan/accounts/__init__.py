"""Residents and staff accounts."""
