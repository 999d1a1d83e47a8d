"""The views on the right, one per tab: loss, decision boundary, diagnostics, computation graph, expression."""
