"""RFC 9162 Merkle trees: published vectors, every proof of every small tree, mutated proofs."""

from __future__ import annotations

import pytest

from alliance.ledger.merkle import (EMPTY_ROOT, consistency_proof, inclusion_proof, leaf_hash, root_hash,
                                    verify_consistency, verify_inclusion)

# The RFC 6962 test data (certificate-transparency, Go transparency-dev/merkle).
DATA = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                   "606162636465666768696a6b6c6d6e6f")]
LEAVES = [leaf_hash(d) for d in DATA]
ROOTS = ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
INCLUSION = [  # (index, size, proof)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [  # (first, second, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]


def test_roots_match_the_published_vectors() -> None:
    assert root_hash([]) == EMPTY_ROOT
    for size in range(len(ROOTS)):
        assert root_hash(LEAVES[:size]).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_the_published_vectors(index: int, size: int, proof: list[str]) -> None:
    assert [p.hex() for p in inclusion_proof(index, LEAVES[:size])] == proof
    assert verify_inclusion(index, size, LEAVES[index], [bytes.fromhex(p) for p in proof], bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_published_vectors(first: int, second: int, proof: list[str]) -> None:
    assert [p.hex() for p in consistency_proof(first, LEAVES[:second])] == proof
    assert verify_consistency(first, second, [bytes.fromhex(p) for p in proof], bytes.fromhex(ROOTS[first]),
                              bytes.fromhex(ROOTS[second]))


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big") + b"entry") for i in range(n)]


def mutations(proof: list[bytes]) -> list[list[bytes]]:
    """Every way the test catalogue breaks a proof: a flipped bit, a hash missing, one extra."""
    out = []
    for i in range(len(proof)):
        flipped = bytearray(proof[i])
        flipped[i % 32] ^= 1 << (i % 8)
        out.append(proof[:i] + [bytes(flipped)] + proof[i + 1:])
        out.append(proof[:i] + proof[i + 1:])
    out.append(proof + [leaf_hash(b"extra")])
    out.append([leaf_hash(b"extra")] + proof)
    return out


def test_every_inclusion_proof_of_every_small_tree_and_its_mutations() -> None:
    all_leaves = leaves(301)
    roots = [root_hash(all_leaves[:n]) for n in range(302)]
    for size in range(1, 301):
        tree = all_leaves[:size]
        for index in range(size):
            proof = inclusion_proof(index, tree)
            assert verify_inclusion(index, size, tree[index], proof, roots[size])
            if (index + size) % 13 == 0 or size < 20:
                assert not verify_inclusion(index, size, leaf_hash(b"other"), proof, roots[size])
                assert not verify_inclusion(index, size, tree[index], proof, roots[size - 1])
                for wrong_index in (index - 1, index + 1):
                    if 0 <= wrong_index < size:
                        assert not verify_inclusion(wrong_index, size, tree[index], proof, roots[size])
                # A size off by one, with that size's genuine root (the one a checkpoint would sign).
                for wrong_size in (size - 1, size + 1):
                    assert not verify_inclusion(index, wrong_size, tree[index], proof, roots[wrong_size])
                for bad in mutations(proof):
                    assert not verify_inclusion(index, size, tree[index], bad, roots[size])


def test_every_consistency_proof_of_every_small_tree_and_its_mutations() -> None:
    all_leaves = leaves(201)
    roots = [root_hash(all_leaves[:n]) for n in range(202)]
    for second in range(1, 201):
        for first in range(1, second + 1):
            proof = consistency_proof(first, all_leaves[:second])
            assert verify_consistency(first, second, proof, roots[first], roots[second])
            if first == second or (first + second) % 11 and second > 40:
                continue  # mutations: every pair of the small trees, a sample of the large ones
            assert not verify_consistency(first, second, proof, roots[first - 1] if first > 1 else leaf_hash(b"x"),
                                          roots[second])
            assert not verify_consistency(first, second, proof, roots[first], roots[second - 1])
            # Sizes off by one, with those sizes' genuine roots (the ones checkpoints would sign).
            for wrong_first, wrong_second in ((first - 1, second), (first + 1, second), (first, second + 1)):
                if 0 < wrong_first <= wrong_second and (wrong_first, wrong_second) != (first, second):
                    assert not verify_consistency(wrong_first, wrong_second, proof, roots[wrong_first],
                                                  roots[wrong_second])
            for bad in mutations(proof):
                assert not verify_consistency(first, second, bad, roots[first], roots[second])


def test_the_largest_exhaustive_trees() -> None:
    # Every leaf of a 300-leaf tree (larger shapes of the recursion); proofs against their root.
    tree = leaves(300)
    root = root_hash(tree)
    for index in range(300):
        assert verify_inclusion(index, 300, tree[index], inclusion_proof(index, tree), root)
    for first in range(1, 301, 7):
        assert verify_consistency(first, 300, consistency_proof(first, tree), root_hash(tree[:first]), root)
