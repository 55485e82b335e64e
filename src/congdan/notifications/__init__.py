"""Telling residents and staff what happened: templates, recipients, preferences, deliveries."""
