"""AHP: criterion weights from pairwise judgements, with Saaty's consistency check.

Weights are the principal right eigenvector of the comparison matrix, scaled to sum to 1. The
consistency index is `CI = (lambda_max - n) / (n - 1)` and the ratio `CR = CI / RI(n)` with
Saaty's random indices. A matrix with CR > 0.10 is refused unless forced; the refusal names the
judgement that disagrees most with the weights, measured as `|ln(a_ij * w_j / w_i)|` (how many
times the stated ratio differs from the ratio the weights imply).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from alliance.core.errors import InvalidInput, Problem
from alliance.core.messages import Message

# Saaty's random consistency index by matrix size (1-based); sizes 1 and 2 are always consistent.
SAATY_RI = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)
CR_LIMIT = 0.10
RECIPROCAL_TOLERANCE = 1e-6
HEADER = Message("header")  # where: the table's first row
MATRIX = Message("matrix")  # where: the comparison matrix as a whole


class InconsistentJudgements(InvalidInput):
    code = "inconsistent_judgements"
    title = Message("Pairwise judgements are inconsistent")


@dataclass(frozen=True, slots=True)
class Judgement:
    """The pair whose stated ratio the derived weights contradict most."""

    row: str
    column: str
    stated: float
    implied: float


@dataclass(frozen=True, slots=True)
class AhpResult:
    weights: dict[str, float]
    lambda_max: float
    consistency_index: float
    random_index: float
    consistency_ratio: float
    most_inconsistent: Judgement | None

    @property
    def consistent(self) -> bool:
        return self.consistency_ratio <= CR_LIMIT


def _cell(text: str) -> float | None:
    cleaned = text.strip()
    try:
        value = float(Fraction(cleaned)) if "/" in cleaned else float(cleaned)
    except (ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def parse_matrix(header: Sequence[str], rows: Sequence[Sequence[str]], header_row: int = 1) -> tuple[list[str], np.ndarray]:
    """A comparison table: header `["", c1, ..., cn]`, then one row per criterion `[ci, a_i1, ...]`.

    Cells are positive numbers or fractions ("1/3"); a blank below the diagonal is filled with the
    reciprocal of its mirror. Raises InvalidInput naming each bad cell.
    """
    names = [h.strip() for h in header[1:]]
    n = len(names)
    problems: list[Problem] = []
    if n < 2:
        raise InvalidInput(Message("a pairwise comparison matrix needs at least two criteria"))
    if len(set(names)) != n:
        problems.append(Problem(HEADER, "", Message("criterion names repeat")))
    if len(rows) != n:
        problems.append(Problem(MATRIX, "", Message("{criteria} criteria in the header but {rows} rows",
                                                    criteria=n, rows=len(rows))))
    if problems:
        raise InvalidInput(Message("the comparison matrix is not square"), problems)
    matrix = np.full((n, n), np.nan)
    for i, row in enumerate(rows):
        where = Message("row {row}", row=i + header_row + 1)
        label = (row[0] if row else "").strip()
        if label != names[i]:
            problems.append(Problem(where, label, Message("row name should be {name!r}, like column {column}",
                                                          name=names[i], column=i + 1)))
        for j in range(n):
            text = row[j + 1] if j + 1 < len(row) else ""
            if not text.strip():
                if j < i:
                    continue  # filled from the mirror below
                problems.append(Problem(where, names[j], Message("is empty")))
                continue
            value = _cell(text)
            if value is None:
                problems.append(Problem(where, names[j], Message("{text!r} is not a positive number or fraction",
                                                                 text=text)))
            else:
                matrix[i, j] = value
    if problems:
        raise InvalidInput(Message("the comparison matrix has bad cells"), problems)
    for i in range(n):
        if not math.isclose(matrix[i, i], 1.0, rel_tol=RECIPROCAL_TOLERANCE):
            problems.append(Problem(Message("row {row}", row=i + header_row + 1), names[i],
                                    Message("the diagonal must be 1, not {value:g}", value=matrix[i, i])))
        for j in range(i):
            if np.isnan(matrix[i, j]):
                matrix[i, j] = 1.0 / matrix[j, i]
            elif not math.isclose(matrix[i, j] * matrix[j, i], 1.0, rel_tol=RECIPROCAL_TOLERANCE):
                problems.append(Problem(
                    Message("row {row}", row=i + header_row + 1), names[j],
                    Message("{value:g} is not the reciprocal of {criterion} vs {other} ({mirror:g})",
                            value=matrix[i, j], criterion=names[j], other=names[i], mirror=matrix[j, i]),
                ))
    if problems:
        raise InvalidInput(Message("the comparison matrix is not reciprocal"), problems)
    return names, matrix


def ahp_weights(names: Sequence[str], matrix: np.ndarray, *, force: bool = False) -> AhpResult:
    """Weights and consistency of a reciprocal comparison matrix; refuse CR > 0.10 unless `force`."""
    n = len(names)
    assert matrix.shape == (n, n)
    eigenvalues, eigenvectors = np.linalg.eig(matrix)
    k = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[k].real)
    vector = np.abs(eigenvectors[:, k].real)
    weights = vector / vector.sum()
    ci = (lambda_max - n) / (n - 1) if n > 2 else 0.0
    ri = SAATY_RI[n - 1] if n <= len(SAATY_RI) else SAATY_RI[-1]
    cr = ci / ri if ri > 0 else 0.0
    deviation = np.abs(np.log(matrix * weights[None, :] / weights[:, None]))
    i, j = (int(x) for x in np.unravel_index(int(np.argmax(deviation)), deviation.shape))
    if i > j:
        i, j = j, i
    worst = Judgement(names[i], names[j], float(matrix[i, j]), float(weights[i] / weights[j])) if deviation.max() > 1e-12 else None
    result = AhpResult(
        weights={name: float(w) for name, w in zip(names, weights, strict=True)},
        lambda_max=lambda_max, consistency_index=ci, random_index=ri, consistency_ratio=cr,
        most_inconsistent=worst,
    )
    if not result.consistent and not force:
        assert worst is not None
        raise InconsistentJudgements(
            Message("consistency ratio {cr:.3f} is above {limit}; the judgement that disagrees most is {row} vs "
                    "{column}: stated {stated:g}, the weights imply {implied:.2f}. Revise it, or accept the "
                    "weights as they are",
                    cr=cr, limit=CR_LIMIT, row=worst.row, column=worst.column, stated=worst.stated,
                    implied=worst.implied),
            [Problem(Message("{row} vs {column}", row=worst.row, column=worst.column), "",
                     Message("stated {stated:g}, implied {implied:.2f}", stated=worst.stated, implied=worst.implied))],
        )
    return result
