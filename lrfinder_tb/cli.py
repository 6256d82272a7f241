"""The `lrfinder-tb` command line tool.

Subcommands:

- `lrfinder-tb demo`: run range tests on scikit-learn's handwritten digits,
  print their suggestions, and serve them with TensorBoard until Ctrl-C.
- `lrfinder-tb analyze LOGDIR`: print the suggestion of every range test under
  a TensorBoard log directory, as a table or as JSON.

This is the one module of the package that prints: it is the user interface.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
import types
import urllib.error
import urllib.request
from collections.abc import Sequence

from lrfinder_tb import __version__, analysis

DEFAULT_DEMO_LOGDIR = os.path.join("logs", "lrfinder-demo")
DEFAULT_PORT = 6006
HOST = "127.0.0.1"

# How long `demo` waits for TensorBoard to respond, and for it to exit after Ctrl-C.
SERVER_START_TIMEOUT_SECONDS = 60.0
SERVER_STOP_TIMEOUT_SECONDS = 10.0

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130


# Argument parsing.


def _smoothing(text: str) -> float:
    """Parse `--smoothing`: a float in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1), got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text!r}")
    return value


def _positive_int(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {text!r}")
        return value

    return parse


def _port(text: str) -> int:
    value = _positive_int(1)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be a TCP port in 1..65535, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of `lrfinder-tb`."""
    parser = argparse.ArgumentParser(
        prog="lrfinder-tb",
        description="Learning-rate range test for Keras, shown in TensorBoard.",
    )
    parser.add_argument("--version", action="version", version=f"lrfinder-tb {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="run range tests on handwritten digits and show them in TensorBoard",
        description=(
            "Run three range tests (Adam, SGD with momentum, Adam with a 4x larger batch) "
            "on scikit-learn's handwritten digits, print their suggestions, then serve "
            "the log directory with TensorBoard until Ctrl-C."
        ),
    )
    demo.add_argument(
        "--logdir",
        default=DEFAULT_DEMO_LOGDIR,
        help=f"log directory to write the runs into (default: {DEFAULT_DEMO_LOGDIR})",
    )
    demo.add_argument(
        "--no-serve",
        action="store_true",
        help="print the suggestions and exit, without starting TensorBoard",
    )
    demo.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"TCP port for TensorBoard on {HOST} (default: {DEFAULT_PORT})",
    )
    demo.add_argument(
        "--steps",
        type=_positive_int(2),
        default=100,
        help="points (batches) per range test, at least 2 (default: 100)",
    )

    analyze = commands.add_parser(
        "analyze",
        help="print the suggested learning rate of every range test in a log directory",
        description=(
            "Read every range test under LOGDIR with TensorBoard's loader and print the "
            "suggested learning rate, the steepest-descent region and the stop reason."
        ),
    )
    analyze.add_argument("logdir", metavar="LOGDIR", help="a TensorBoard log directory")
    analyze.add_argument(
        "--method",
        choices=sorted(analysis.SUGGESTION_METHODS),
        default=analysis.DEFAULT_METHOD,
        help=f"suggestion method (default: {analysis.DEFAULT_METHOD})",
    )
    analyze.add_argument(
        "--smoothing",
        type=_smoothing,
        default=analysis.DEFAULT_SMOOTHING,
        help=f"EMA smoothing factor in [0, 1) (default: {analysis.DEFAULT_SMOOTHING})",
    )
    analyze.add_argument(
        "--json", action="store_true", help="print JSON, one object per run, instead of a table"
    )
    return parser


# Output.


def _format_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def _format_region(region: tuple[float, float] | None) -> str:
    return "-" if region is None else f"{region[0]:.3g} .. {region[1]:.3g}"


def format_table(results: dict[str, analysis.LRFinderResult]) -> str:
    """Format results as a plain-text table: run, suggestion, region, stop reason, points.

    Runs without a suggestion get their explanation on the lines below the table.
    """
    header = ("run", "suggestion", "region", "stop reason", "points")
    rows = [
        (
            run,
            _format_rate(result.suggestion),
            _format_region(result.region),
            result.stop_reason or "-",
            str(result.losses.size),
        )
        for run, result in results.items()
    ]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))

    for run, result in results.items():
        if result.suggestion is None and result.explanation:
            lines.append(f"{run}: {result.explanation}")
    return "\n".join(lines)


def result_summary(run: str, result: analysis.LRFinderResult) -> dict:
    """Return the JSON object that `analyze --json` prints for one run."""
    return {
        "run": run,
        "suggestion": result.suggestion,
        "region": None if result.region is None else [result.region[0], result.region[1]],
        "stop_reason": result.stop_reason,
        "explanation": result.explanation,
        "points": int(result.losses.size),
        "method": result.method,
        "smoothing": result.smoothing,
    }


# Subcommands.


def _use_tensorboard_without_tensorflow(logdir: str) -> None:
    """Make TensorBoard's loader read local files without importing TensorFlow.

    TensorBoard's loader imports TensorFlow for file access when it is
    installed, which takes several seconds, unless a module named
    `tensorboard.compat.notf` exists: TensorBoard's own switch to use its
    built-in replacement. The switch holds for the rest of the process and the
    replacement reads local files only, so it is set only for local paths,
    while TensorFlow is not loaded yet.
    """
    if "://" in logdir or "tensorflow" in sys.modules:
        return
    sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))


def run_analyze(arguments: argparse.Namespace, *, standalone: bool = False) -> int:
    """Print the analysis of every range test under `arguments.logdir`.

    `standalone` is True when this process runs only the command line tool, so
    TensorBoard's loader may be switched to read without TensorFlow.
    """
    if standalone:
        _use_tensorboard_without_tensorflow(arguments.logdir)
    from lrfinder_tb.reader import read_range_tests

    tests = read_range_tests(arguments.logdir)
    if not tests:
        where = (
            "does not exist"
            if "://" not in arguments.logdir and not os.path.isdir(arguments.logdir)
            else "holds no range tests"
        )
        print(
            f"lrfinder-tb analyze: {arguments.logdir!r} {where}. Write range tests there with "
            f"`LRFinder(log_dir={arguments.logdir!r})` in `model.fit(..., callbacks=[...])`, "
            "or try `lrfinder-tb demo`.",
            file=sys.stderr,
        )
        return EXIT_FAILURE

    results = {
        run: analysis.analyze(
            test.learning_rates,
            test.losses,
            smoothing=arguments.smoothing,
            method=arguments.method,
            stop_reason=test.stop_reason or analysis.STOP_IN_PROGRESS,
        )
        for run, test in tests.items()
    }
    if arguments.json:
        summaries = [result_summary(run, result) for run, result in results.items()]
        print(json.dumps(summaries, indent=2, allow_nan=False))
    else:
        print(format_table(results))
    return EXIT_OK


def _configure_demo_logging() -> None:
    """Show the demo's progress messages on stderr (run in the demo's child process)."""
    logging.basicConfig(format="%(message)s")
    logging.getLogger("lrfinder_tb").setLevel(logging.INFO)


def _run_demo(logdir: str, steps: int) -> dict[str, analysis.LRFinderResult]:
    from lrfinder_tb.demo import run_demo

    return run_demo(logdir, steps=steps, verbose=True)


def run_demo_in_child(logdir: str, steps: int) -> dict[str, analysis.LRFinderResult]:
    """Run the demo's range tests in a child process and return their results.

    TensorFlow is loaded only in the child, which is ended as soon as the
    results are back. Tearing TensorFlow down at exit takes seconds, so this
    process stays quick to stop with Ctrl-C while TensorBoard serves. All event
    files are closed when `run_demo` returns, so ending the child loses nothing.
    """
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, initializer=_configure_demo_logging) as pool:
        return pool.apply(_run_demo, (logdir, steps))


def run_demo_command(arguments: argparse.Namespace) -> int:
    """Run the demo's range tests, print their table, and serve them unless `--no-serve`."""
    # TensorFlow's C++ start-up messages would bury the table.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    # Fail before the range tests, not a minute later when TensorBoard starts.
    if not arguments.no_serve and not _port_is_free(arguments.port):
        print(_port_in_use_message(arguments.port), file=sys.stderr)
        return EXIT_FAILURE

    print(f"Running the demo's range tests into {arguments.logdir} ...", flush=True)
    results = run_demo_in_child(arguments.logdir, arguments.steps)
    print(format_table(results), flush=True)
    if arguments.no_serve:
        print(f"\nTo see the curves: tensorboard --logdir {arguments.logdir}", flush=True)
        return EXIT_OK
    return serve(arguments.logdir, arguments.port)


def _port_is_free(port: int) -> bool:
    """Tell whether nothing listens on HOST:`port` yet.

    Checked before TensorBoard starts: otherwise the readiness poll could reach
    another server on the same port before the new one fails to bind.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _port_in_use_message(port: int) -> str:
    return (
        f"lrfinder-tb demo: port {port} on {HOST} is already in use; pass another one with --port."
    )


def _wait_until_serving(process: subprocess.Popen, port: int) -> bool:
    """Poll TensorBoard until it responds on `port`. Return False if it exited or timed out."""
    url = f"http://{HOST}:{port}/data/plugins_listing"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    return False


def _stop(process: subprocess.Popen) -> None:
    """Stop TensorBoard: terminate, then kill if it does not exit in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _raise_keyboard_interrupt(signal_number: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(logdir: str, port: int) -> int:
    """Serve `logdir` with TensorBoard on 127.0.0.1:`port` until Ctrl-C or until it exits.

    SIGTERM is handled like Ctrl-C while TensorBoard runs, so that TensorBoard
    is stopped with this process instead of being left behind.
    """
    command = [
        sys.executable,
        "-m",
        "tensorboard.main",
        "--logdir",
        logdir,
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    if not _port_is_free(port):
        print(_port_in_use_message(port), file=sys.stderr)
        return EXIT_FAILURE
    process = subprocess.Popen(command)
    previous_handler = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        if not _wait_until_serving(process, port):
            _stop(process)
            print(
                f"lrfinder-tb demo: TensorBoard did not start on {HOST}:{port} "
                f"(exit code {process.returncode}). If the port is in use, pass another "
                "one with --port.",
                file=sys.stderr,
            )
            return EXIT_FAILURE
        print(
            f"\nTensorBoard is serving the demo at http://{HOST}:{port}/#lr_finder "
            "(press Ctrl-C to stop)",
            flush=True,
        )
        returncode = process.wait()
        print(f"lrfinder-tb demo: TensorBoard exited with code {returncode}.", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("\nStopping TensorBoard.", flush=True)
        return EXIT_OK
    finally:
        _stop(process)
        signal.signal(signal.SIGTERM, previous_handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `lrfinder-tb` command line tool.

    Args:
        argv: the arguments without the program name; None reads `sys.argv`
            and marks the process as the command line program, which lets
            `analyze` read a local directory without importing TensorFlow.

    Returns:
        The exit code: 0 on success, 1 when there is nothing to analyze or
        TensorBoard fails, 130 when the demo's range tests are interrupted.
        argparse exits with 2 on invalid arguments.

    Example:
        >>> main(["analyze", "logs/lrfinder-demo", "--json"])  # doctest: +SKIP
        0
    """
    arguments = build_parser().parse_args(argv)
    try:
        if arguments.command == "demo":
            return run_demo_command(arguments)
        return run_analyze(arguments, standalone=argv is None)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
