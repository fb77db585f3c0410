"""Transactional outbox: events written in the same transaction as the change they announce,
then handed to their handlers by `zhifu worker` (at least once, with backoff)."""
