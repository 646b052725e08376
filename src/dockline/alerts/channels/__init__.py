"""How alerts and events reach people: email (Django's SMTP settings) and outbound webhooks."""
