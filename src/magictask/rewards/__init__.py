"""Pure scoring model: XP rules, levels, streaks and achievements (no I/O)."""
