"""The bench: drives any tracking core through one small protocol and scores its output against the truth.

`protocol` (the Core interface), `naive` (the "last read wins" reference), `loader` (resolve `--core NAME`),
`score` (DESIGN's accuracy, latency and alert metrics), `perf` (throughput and runtime figures).
"""

from .protocol import BaseCore, Core, CoreOutput, empty_alerts, empty_estimates

__all__ = ["BaseCore", "Core", "CoreOutput", "empty_alerts", "empty_estimates"]
