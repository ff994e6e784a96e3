"""Subcommands of the `llama-desk` command line, one module each.

Every module listed in COMMAND_MODULES defines ``register(subparsers)``, which adds
its subparser(s) and sets ``func`` (called with the parsed namespace, returning an
exit code). The list is explicit so that bundlers see every import.
"""

COMMAND_MODULES: list[str] = [
    "assistant.commands.ask",
    "assistant.commands.models",
    "assistant.commands.summarize",
    "assistant.commands.calendar",
    "assistant.commands.transcribe",
    "assistant.commands.record",
    "assistant.commands.bench",
    "assistant.commands.templates",
]
