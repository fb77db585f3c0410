"""Payment password and security questions: hashing with a pepper, attempt counters, lockout."""
