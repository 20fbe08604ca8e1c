"""The anomaly view: patterns in a workspace that suggest XP is being gamed, each with its evidence."""
