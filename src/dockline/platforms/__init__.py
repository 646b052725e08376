"""Store platform connectors."""
