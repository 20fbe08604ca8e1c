"""A production-shaped deployment on one machine (`magictask cluster up`): nginx in front of N API
processes, M workers, a PostgreSQL primary with a streaming replica, and Valkey (docs/DEPLOY.md)."""
