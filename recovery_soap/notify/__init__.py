"""Notifications: message templates, the outbox store and the SMTP dispatcher."""
