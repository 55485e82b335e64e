"""Cross-cutting protections every surface inherits: rate limits, security headers, CSRF, cookies."""
