"""E-mails to buyers, per language, sent through the outbox."""
