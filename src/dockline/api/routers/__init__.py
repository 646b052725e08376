"""One router per resource of the API; each calls the services and actions the dashboard calls."""
