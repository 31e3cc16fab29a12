"""Inputs of an exact token length, and timing several runtimes side by side.

Texts are cut from seeded synthetic resumes at a token boundary so that each one tokenises to
exactly the requested number of tokens ([CLS] and [SEP] included) with the model's own
tokenizer; every batch holds different texts, and iterations cycle through several batches, so
no runtime sees the same input twice in a row.

Runtimes are timed interleaved: every iteration calls each runtime once on the same batch (the
order rotating from one iteration to the next), so a change in machine load during the run hits
all of them alike and their ratios stay meaningful on a shared machine.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from resume_ner.data.synthetic import generate_document

#: Distinct batches the iterations cycle through.
BATCH_POOL = 4
_SEPARATOR = "\n\n"

#: A runtime: texts in, entities out (their form is the runtime's own).
Runtime = Callable[[Sequence[str]], object]


class TokenCounter:
    """Counts the tokens of texts (specials included) with a bundle's ``tokenizer.json``."""

    def __init__(self, tokenizer_json: Path | str) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer_json))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def count(self, text: str) -> int:
        """Tokens of ``text`` with [CLS] and [SEP]."""
        return len(self.tokenizer.encode(text).ids)

    def cut(self, text: str, tokens: int) -> str | None:
        """The longest prefix of ``text`` that tokenises to exactly ``tokens`` tokens, cut at a
        token's end; ``None`` when ``text`` is too short or no cut gives that count."""
        encoding = self.tokenizer.encode(text)
        content = [i for i, sequence_id in enumerate(encoding.sequence_ids) if sequence_id == 0]
        specials = len(encoding.ids) - len(content)
        wanted = tokens - specials
        if wanted < 1 or len(content) < wanted:
            return None
        # A cut inside a word can tokenise differently; try a few earlier token ends.
        for last in range(wanted - 1, max(wanted - 8, 0) - 1, -1):
            candidate = text[: encoding.offsets[content[last]][1]]
            if self.count(candidate) == tokens:
                return candidate
        return None


def texts_of_length(
    counter: TokenCounter, tokens: int, count: int, seed: int, *, first_index: int = 0
) -> list[str]:
    """``count`` different texts of exactly ``tokens`` tokens, cut from synthetic resumes.

    Resume ``first_index + k`` of ``seed`` starts text ``k`` (followed by the next resumes
    when it is shorter). Raises :class:`ValueError` when no text of that length can be made.
    """
    texts: list[str] = []
    index = first_index
    attempts = 0
    while len(texts) < count:
        attempts += 1
        if attempts > 4 * count + 20:
            raise ValueError(f"cannot make texts of exactly {tokens} tokens")
        parts, following = [generate_document(index, seed).text], index + 1
        while counter.count(_SEPARATOR.join(parts)) < tokens + 8:
            parts.append(generate_document(following, seed).text)
            following += 1
        text = counter.cut(_SEPARATOR.join(parts), tokens)
        index += 1
        if text is not None:
            texts.append(text)
    return texts


def make_batches(
    counter: TokenCounter, batch_size: int, tokens: int, seed: int, pool: int = BATCH_POOL
) -> list[list[str]]:
    """``pool`` batches of ``batch_size`` different texts of ``tokens`` tokens each."""
    texts = texts_of_length(counter, tokens, batch_size * pool, seed)
    return [texts[i * batch_size : (i + 1) * batch_size] for i in range(pool)]


@dataclass(frozen=True)
class TimingPlan:
    """How often to call each runtime: warm-up calls, then up to ``iterations`` timed ones,
    stopping early once any runtime spent ``max_seconds`` timed (after ``min_iterations``)."""

    warmup: int
    iterations: int
    min_iterations: int = 1
    max_seconds: float | None = None


def time_side_by_side(
    runtimes: Mapping[str, Runtime], batches: Sequence[Sequence[str]], plan: TimingPlan
) -> dict[str, list[float]]:
    """Latencies (ms, ``time.perf_counter``) of each runtime, interleaved (see module docstring).

    Each runtime gets the same number of timed calls, on the same batches in the same order.
    Raises :class:`ValueError` for no runtimes or no batches.
    """
    if not runtimes or not batches:
        raise ValueError("need at least one runtime and one batch")
    names = list(runtimes)
    for step in range(plan.warmup):
        for name in names:
            runtimes[name](batches[step % len(batches)])
    gc.collect()
    latencies: dict[str, list[float]] = {name: [] for name in names}
    spent = dict.fromkeys(names, 0.0)
    for step in range(plan.iterations):
        batch = batches[step % len(batches)]
        shift = step % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            runtimes[name](batch)
            elapsed = time.perf_counter() - started
            latencies[name].append(elapsed * 1000.0)
            spent[name] += elapsed
        if (
            plan.max_seconds is not None
            and step + 1 >= plan.min_iterations
            and max(spent.values()) >= plan.max_seconds
        ):
            break
    return latencies
