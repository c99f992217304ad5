"""Store backends for the rooms domain: in-memory (the embedded default) and Redis."""
