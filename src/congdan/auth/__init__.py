"""Who is calling: bearer tokens, one-time codes, staff passwords."""
