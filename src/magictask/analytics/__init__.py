"""Engagement analytics for owners and admins: activity, retention cohorts, gamification on vs off."""
