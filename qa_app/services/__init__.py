"""Use cases. Each receives a Session (and settings/backends), adds and flushes, never commits."""
