"""Shared widgets and look: the blitting canvas, the latest-job worker thread, colours and timings."""
