"""The runtime that runs student code: targets, the confined sandbox, the codec, the guard, limits."""
