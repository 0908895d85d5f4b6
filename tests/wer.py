"""Word error rate, with the normalising every fair comparison needs (case, punctuation, numbers)."""

from __future__ import annotations

import re

UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split()
)
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}


def words(text: str) -> list[str]:
    text = text.lower().replace("[redacted]", " redacted ").replace("-", " ").replace("’", "'")
    tokens = re.sub(r"[^a-z0-9' ]", " ", text).split()
    out: list[str] = []
    for token in tokens:  # "twenty one" and "21" are the same words
        if token in UNITS:
            value = UNITS.index(token)
            if out and out[-1].isdigit() and int(out[-1]) in TENS.values() and value < 10:
                out[-1] = str(int(out[-1]) + value)
                continue
            out.append(str(value))
        elif token in TENS:
            out.append(str(TENS[token]))
        else:
            out.append(token)
    return out


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        prev, row[0] = row[0], i
        for j in range(1, len(hyp) + 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ref[i - 1] != hyp[j - 1]))
    return row[len(hyp)] / max(1, len(ref))
