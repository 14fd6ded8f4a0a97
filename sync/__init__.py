"""Sync between a hall kiosk and the street centre: the kiosk client and the centre server."""
