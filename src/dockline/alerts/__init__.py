"""Alerts: policies, conditions over the database, grouped alerts, and the channels that tell people."""
