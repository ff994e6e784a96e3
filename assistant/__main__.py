"""`python -m assistant` runs the same entry point as `llama-desk`."""

from assistant.cli import main

raise SystemExit(main())
