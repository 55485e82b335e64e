"""What more than one domain speaks of: the report statuses and the small shapes every answer uses.
It imports no domain, so that any domain may use it without depending on another."""
