"""Work outside the window's interpreter: the training child, the PyTorch child, the rate sweep."""
