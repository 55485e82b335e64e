#!/usr/bin/env python3
"""Classifier speed on one core, one text per call (what a request does).

    python bench/classifier_speed.py [--duration S] [--json OUT]

Trains the classifier on routing/corpus/train.tsv, then cycles through the held-out texts for S
seconds calling `Classifier.rank` once per text. Reference in the same run and over the same texts:
a plain Python loop of SHA-256 over the UTF-8 bytes of each text, so that a figure from a busy
shared machine can be read against what the machine managed at the same moment.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import time
from pathlib import Path
from typing import Any

from harness import machine, write_json

from congdan.routing.classifier import heldout_corpus, train, training_corpus


def rate(work: Any, texts: list[str], duration: float) -> float:
    done = 0
    started = time.perf_counter()
    for text in itertools.cycle(texts):
        work(text)
        done += 1
        if done % 64 == 0 and time.perf_counter() - started >= duration:
            break
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    # One core: the linear algebra libraries must not spread a single call over several.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    classifier = train(training_corpus())
    texts = [e.text for e in heldout_corpus()]
    classifier.rank(texts[0])  # warm the caches once
    result = {
        "machine": machine(),
        "texts": len(texts),
        "classifications_per_s": round(rate(lambda t: classifier.rank(t, limit=3), texts, args.duration), 1),
        "sha256_per_s": round(rate(lambda t: hashlib.sha256(t.encode()).digest(), texts, args.duration), 1),
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    if args.json:
        write_json(args.json, result)


if __name__ == "__main__":
    main()
