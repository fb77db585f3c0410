"""Double-entry ledger: accounts, balanced journal entries, balances, reconciliation."""
