"""Kiosk services: the engine wired to the printer, keypads and sync (no Kivy; the UI sits on top)."""
