"""Conversation logic: pure async functions from Inbound + repositories to replies."""
