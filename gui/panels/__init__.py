"""The panels on the left: data, model and training settings, and their input fields."""
