"""Who agreed to which purpose of the personal-data notice, and when they withdrew."""
