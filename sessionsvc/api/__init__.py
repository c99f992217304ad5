"""The HTTP API of DESIGN §3: the booking service's edge, health, metrics and OpenAPI."""
