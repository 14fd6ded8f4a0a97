"""Hall kiosk: queue tickets, window calls, ratings and the day record (no Kivy outside kiosk.ui)."""
