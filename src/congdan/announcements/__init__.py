"""Agencies' news and notices, emergency alerts, and residents' subscriptions to units and topics."""
