"""What both graph tabs share: the graph pane, its SVG canvas, DOT rendering and layout threads."""
