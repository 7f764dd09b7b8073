"""The weekly compliance snapshot: what it holds, what changed since the last one, and its report."""
