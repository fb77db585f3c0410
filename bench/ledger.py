"""Ledger throughput and balance-read time against pgbench (same as `zhifu bench ledger`).

    .venv/bin/python bench/ledger.py [--clients 8] [--seconds 10] [--database-url URL]

Needs a PostgreSQL server; creates and drops its own scratch databases. Not part of
`make test`: benchmarks print ratios, they never assert.
"""

from __future__ import annotations

import sys

from zhifu.ledger.bench import main

if __name__ == "__main__":
    sys.exit(main())
