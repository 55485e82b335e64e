"""Events written in the same transaction as the change they announce, handled after commit."""
