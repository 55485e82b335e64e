"""Live updates on open pages: server-sent events for a report and for an agency's queue."""
