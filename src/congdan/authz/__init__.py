"""What a caller may do. Every permission check in the project lives in this package."""
