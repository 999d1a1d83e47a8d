"""The application window: its layout and wiring, menus, file actions, dialogs."""
