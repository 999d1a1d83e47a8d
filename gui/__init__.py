"""The Qt desktop app: every file here pairs with what it shows."""
