"""Where a report goes: its unit and the agency that must act."""
