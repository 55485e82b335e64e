"""Operating figures for Prometheus: /metrics, and the timing of every request."""
