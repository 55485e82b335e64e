"""The audit log: who did what to whom, append-only and hash-chained."""
