"""One module per ``convgrade`` subcommand, each with ``register(subparsers)``."""
