"""Adapters to the world outside: storage, images, message channels."""
