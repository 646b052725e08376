"""The REST API under /api/v1/ (Django Ninja): API keys, idempotent POSTs, rate limits, problem details."""
