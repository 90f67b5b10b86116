"""The ``caonto`` command: one module per subcommand, each with ``add_command`` and ``run``.

Settings are read once here (``caonto.config``) and handed to the subcommand as
``args.settings``; a bad one is a one-line error and exit code 2. Exit codes follow
pySHACL's (``caonto.cli.exits``).
"""

import argparse
import sys

from caonto import __version__, config
from caonto.build import BuildError
from caonto.cli import build, exits, export, publish, query, serve, stats, validate
from caonto.engine.interface import EvaluationError
from caonto.inference import InconsistencyError
from caonto.rdf_io import RdfInputError

COMMANDS = (validate, export, query, stats, build, serve, publish)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caonto", description="Central Asian international relations as linked data.")
    parser.add_argument("--version", action="version", version=f"caonto {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.settings = config.load()
        return args.run(args)
    except config.ConfigError as error:
        print(f"caonto: {error}", file=sys.stderr)
        return exits.UNUSABLE
    except RdfInputError as error:
        print(f"caonto: {error}", file=sys.stderr)
        return exits.UNUSABLE
    except (BuildError, InconsistencyError) as error:
        print(f"caonto: the project's data does not pass its checks:\n{error}", file=sys.stderr)
        return exits.VIOLATIONS
    except OSError as error:
        print(f"caonto: {error}", file=sys.stderr)
        return exits.UNUSABLE
    except EvaluationError as error:  # the engine could not start (data, sandbox)
        print(f"caonto: {error}", file=sys.stderr)
        return exits.UNUSABLE
