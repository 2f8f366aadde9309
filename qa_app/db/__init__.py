"""Persistence: declarative base, engine/session factory, models."""
