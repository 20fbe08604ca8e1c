"""`Idempotency-Key` on creating requests: a retry of a POST that may already have succeeded (the client lost
the answer: a timeout, a dropped connection, an API process that died after its commit) gets the first
answer again instead of doing the work twice."""
