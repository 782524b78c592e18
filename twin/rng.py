"""Named random streams from one scenario seed (never global state).

Each consumer asks for a stream by name; the name is hashed into the SeedSequence spawn key so that adding a new
consumer never shifts the numbers another consumer draws.
"""

from __future__ import annotations

import hashlib

import numpy as np


class Streams:
    """Hands out independent, reproducible numpy Generators by name from one seed."""

    def __init__(self, seed: int):
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.seed = int(seed)

    def _key(self, name: str) -> tuple[int, ...]:
        digest = hashlib.sha256(name.encode("utf-8")).digest()
        return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(entropy=self.seed, spawn_key=self._key(name))

    def generator(self, name: str) -> np.random.Generator:
        """A fresh Generator for `name`; the same name always gives the same stream."""
        return np.random.Generator(np.random.PCG64(self.seed_sequence(name)))

    def child(self, name: str) -> "Streams":
        """A sub-family of streams (e.g. per reader), itself deterministic in the parent seed and the name."""
        sub = int.from_bytes(hashlib.sha256(f"{self.seed}/{name}".encode()).digest()[:8], "little")
        return Streams(sub)
