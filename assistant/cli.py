"""The `llama-desk` command: starts the app, or runs a subcommand without a window.

    llama-desk [--model PATH]              open the app
    llama-desk --self-test --model PATH    load, generate a short reply, print tokens/s
    llama-desk --version
    llama-desk ask "question" --model PATH
    llama-desk <subcommand> --help         (models, summarize, calendar, ...)
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import assistant
from assistant.commands import COMMAND_MODULES


def wants_subcommand(argv: Sequence[str]) -> bool:
    """Whether ``argv`` names a subcommand or asks for help (a plain GUI start does not).

    The GUI start skips importing the subcommand modules, which pull in numpy,
    the calendar stack and more: about half of the start-up time.
    """
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg in ("-h", "--help"):
            return True
        if arg == "--model":
            rest = rest[1:]
        elif not arg.startswith("-"):
            return True
    return False


class _VersionAction(argparse.Action):
    """``--version``, reading the version only when it is asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="show the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> None:
        print(f"llama-desk {assistant.__version__}")
        parser.exit()


def build_parser(with_commands: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llama-desk",
        description="A private assistant that runs Llama 3.2 on this computer.",
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument("--model", metavar="PATH", help="GGUF model file to use (remembered for next time)")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="load the model, generate a short reply without a window, print tokens/s and exit",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES if with_commands else ():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # a command whose module is not part of this build
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(with_commands=wants_subcommand(argv))
    args = parser.parse_args(argv)
    if args.self_test:
        from assistant.commands.ask import run_self_test

        return run_self_test(args.model)
    if args.command:
        return int(args.func(args) or 0)
    from assistant.ui.app import run_app

    return run_app(model=args.model)


if __name__ == "__main__":
    sys.exit(main())
