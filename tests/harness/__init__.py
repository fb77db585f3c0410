"""What the suites share: the pinned clock, the demo harness of tests/system and tests/e2e."""
