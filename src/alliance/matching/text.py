"""How alike two free-text descriptions are: character n-gram TF-IDF cosine similarity. Pure.

Why this method (docs/matching.md, "Text"): descriptions are short, in Chinese or English or both,
and the platform must work offline with no downloaded model. Character n-grams of length 1 to 3
need no word segmentation (Chinese has no spaces: 冷链仓储 still shares 冷链 with 冷链配送), tolerate
inflections and typos in English (warehouse / warehouses), and TF-IDF weighs down characters every
description has. Sublinear tf stops a repeated word from dominating; l2-normalised rows make the
cosine a plain dot product, so the vectorised engines get it as one sparse matrix product. A
Chinese need meets an English description only through shared Latin letters or digits (no
translation): the structured kind match carries the rest (score.py weighs text at ALPHA = 0.3).

An index is fitted once on the descriptions of one scoring context (an alliance's holders, or a
directory of outside candidates) and then gives vectors for any text: n-grams it has not seen are
ignored. Blank text is the zero vector, so its similarity with anything is 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

NGRAMS = (1, 3)


def is_blank(text: str) -> bool:
    return not text.strip()


def _ngrams() -> Callable[[str], list[str]]:
    # char_wb: n-grams inside word boundaries (padded with a space), so "chain storage" does not
    # invent the n-gram "n s"; a Chinese phrase without spaces is one "word" and gives all its
    # n-grams. The padding space alone (the 1-gram " ") is dropped: every text has it, and it would
    # give any two unrelated descriptions a small similarity.
    base = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, lowercase=True).build_analyzer()

    def analyse(text: str) -> list[str]:
        return [gram for gram in base(text) if not gram.isspace()]

    return analyse


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=_ngrams(), sublinear_tf=True, norm="l2", use_idf=True, smooth_idf=True,
                           dtype=np.float64)


@dataclass
class TextIndex:
    """A TF-IDF model fitted on one context's descriptions (None: nothing to fit, all vectors zero)."""

    vectorizer: TfidfVectorizer | None
    _sparse_rows: dict[str, dict[int, float]] = field(default_factory=dict, repr=False)

    @classmethod
    def fit(cls, texts: Iterable[str]) -> TextIndex:
        """An index fitted on the non-blank `texts`: exactly TfidfVectorizer.fit(texts), duplicates
        counting in the document frequencies, but analysing each distinct text once (a directory of
        a million candidates repeats most of its descriptions)."""
        corpus = Counter(texts)  # counted as given (fast in C), blank ones dropped after
        for blank in [t for t in corpus if is_blank(t)]:
            del corpus[blank]
        if not corpus:
            return cls(None)
        distinct = list(corpus)
        vectorizer = _vectorizer()
        try:
            present = vectorizer.fit(distinct).transform(distinct)
        except ValueError:  # only characters the analyzer drops: nothing to learn
            return cls(None)
        counts = np.fromiter((corpus[t] for t in distinct), dtype=np.float64, count=len(distinct))
        frequency = (present != 0).T.astype(np.float64) @ counts
        # sklearn's smooth idf: ln((1 + documents) / (1 + document frequency)) + 1
        vectorizer.idf_ = np.log((1.0 + counts.sum()) / (1.0 + frequency)) + 1.0
        return cls(vectorizer)

    @property
    def dimension(self) -> int:
        return 0 if self.vectorizer is None else len(self.vectorizer.vocabulary_)

    def matrix(self, texts: Sequence[str]) -> sp.csr_matrix:
        """One l2-normalised row per text (a blank text, or one sharing no n-gram, is a zero row)."""
        width = max(self.dimension, 1)
        if self.vectorizer is None or not texts:
            return sp.csr_matrix((len(texts), width), dtype=np.float64)
        rows = self.vectorizer.transform(["" if is_blank(t) else t for t in texts]).tocsr()
        rows.sort_indices()
        return rows

    def vector(self, text: str) -> dict[int, float]:
        """The text's row as {n-gram index: weight} (cached: the scalar reference path calls this per pair)."""
        cached = self._sparse_rows.get(text)
        if cached is None:
            row = self.matrix([text])
            cached = {int(i): float(v) for i, v in zip(row.indices, row.data, strict=True)}
            self._sparse_rows[text] = cached
        return cached

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of the two texts' vectors, in [0, 1]; 0 when either is blank."""
        if is_blank(a) or is_blank(b):
            return 0.0
        va, vb = self.vector(a), self.vector(b)
        if len(vb) < len(va):
            va, vb = vb, va
        total = sum(w * vb.get(i, 0.0) for i, w in va.items())
        return min(1.0, max(0.0, total))


@dataclass(frozen=True)
class TextCodes:
    """Texts coded by their distinct values: `codes[i]` is the row of `texts[i]` in `rows`.

    Why: a directory repeats descriptions, and a similarity needs computing once per distinct text,
    then is looked up per declaration (a gather is far cheaper than a sparse product per row).
    """

    codes: np.ndarray  # int32, one per text
    rows: sp.csr_matrix  # one l2-normalised row per distinct text
    blank: np.ndarray  # bool, one per distinct text


def code_texts(index: TextIndex, texts: Sequence[str]) -> TextCodes:
    distinct: dict[str, int] = {}
    code = distinct.setdefault
    codes = np.fromiter([code(t, len(distinct)) for t in texts], dtype=np.int32, count=len(texts))
    values = list(distinct)
    blank = np.fromiter((is_blank(t) for t in values), dtype=bool, count=len(values))
    return TextCodes(codes, index.matrix(values), blank)


def similarities(index_rows_a: sp.csr_matrix, index_rows_b: sp.csr_matrix) -> np.ndarray:
    """Dense cosine similarities of every row of a with every row of b, clipped to [0, 1]."""
    product = (index_rows_a @ index_rows_b.T).toarray()
    np.clip(product, 0.0, 1.0, out=product)
    return product
