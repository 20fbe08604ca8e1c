"""Corrections and review flags of XP awards: admins adjust an award with a reason, members flag one."""
