"""Public-service procedures (the catalogue issue). Reference lists live in their own domains."""
