"""Webhook deliveries from store platforms: verified, de-duplicated, turned into imports."""
