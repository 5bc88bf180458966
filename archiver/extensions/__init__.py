"""Extensions driven by signals: archive state, run ledger and lock, failures, search, snapshots."""
