"""The hall call board (综合屏) and window screens (窗口屏): web pages the kiosk serves on the hall's LAN,
pushed by Server-Sent Events from the engine's notices. Headless: nothing here imports Kivy."""
