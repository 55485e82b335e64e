"""Personal data (Law 91/2025/QH15): consent, export, erasure, and the keys that seal contact data."""
