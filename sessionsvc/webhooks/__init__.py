"""Webhooks to the booking service (DESIGN §7): Standard Webhooks signing, the HTTP sender, the
retry schedule, and the deliverer that works through the outbox the stores write."""
