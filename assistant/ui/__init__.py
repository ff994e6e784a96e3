"""Qt widgets and the thin bridges that run core work on worker threads."""
