"""Webhook delivery records."""
