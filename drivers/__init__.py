"""Device drivers: ESC/POS printers and serial call/evaluation keypads, each with a simulated twin."""
