"""Administrative units of Ho Chi Minh City (168 since 1 July 2025)."""
