//! Checking proofs without the tree: what `ecusson audit verify` and any client do with a
//! checkpoint they trust. The algorithms are RFC 9162 §2.1.3.2 and §2.1.4.2 step by step; before
//! running them the proof's length is checked against the length the sizes call for
//! (transparency-dev/merkle's formula), so that a truncated or padded proof is named as such.

use crate::hash::{node_hash, Hash, EMPTY_ROOT};

/// A tree size and the root of the tree of that many leaves, as a checkpoint states them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeHead {
    pub size: u64,
    pub root: Hash,
}

/// Why a proof does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    #[error("leaf {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("a tree of {new} leaves cannot extend a tree of {old} leaves")]
    SizesReversed { old: u64, new: u64 },
    #[error("the proof has {actual} hashes, {expected} expected for these sizes")]
    WrongLength { expected: usize, actual: usize },
    #[error(
        "the proof leads to the root {}, not to the expected {}",
        hex::encode(computed),
        hex::encode(expected)
    )]
    RootMismatch { computed: Hash, expected: Hash },
    #[error(
        "the proof leads to the old root {}, not to the old tree head's {}",
        hex::encode(computed),
        hex::encode(expected)
    )]
    OldRootMismatch { computed: Hash, expected: Hash },
    #[error(
        "the proof leads to the new root {}, not to the new tree head's {}",
        hex::encode(computed),
        hex::encode(expected)
    )]
    NewRootMismatch { computed: Hash, expected: Hash },
    #[error(
        "two tree heads of {size} leaves with different roots: {} and {}",
        hex::encode(old),
        hex::encode(new)
    )]
    DifferentRoots { size: u64, old: Hash, new: Hash },
    #[error(
        "the empty tree's root is {}, not {}",
        hex::encode(EMPTY_ROOT),
        hex::encode(root)
    )]
    NotTheEmptyRoot { root: Hash },
}

/// Checks that the leaf with hash `leaf_hash` is leaf `index` of the tree `head` describes.
///
/// The size and the root must come together, from one signed checkpoint: the proof binds the
/// leaf to the root, and the size only through the tree's shape, which trees of neighbouring
/// sizes can share along one leaf's path (leaf 0's proof in the tree of 3 leaves also "proves"
/// it, with the same root, in a tree of 4).
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    proof: &[Hash],
    head: &TreeHead,
) -> Result<(), ProofError> {
    let size = head.size;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    check_length(inclusion_proof_len(index, size), proof.len())?;

    // RFC 9162 §2.1.3.2.
    let wrong_length = || ProofError::WrongLength {
        expected: inclusion_proof_len(index, size),
        actual: proof.len(),
    };
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if s_n == 0 {
            return Err(wrong_length());
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(wrong_length());
    }
    if r != head.root {
        return Err(ProofError::RootMismatch {
            computed: r,
            expected: head.root,
        });
    }
    Ok(())
}

/// Checks that the tree `new` describes extends the tree `old` describes: same first leaves.
/// The empty tree is extended by every tree (its root must be [`EMPTY_ROOT`]), a tree by itself
/// (same root); both with an empty proof.
pub fn verify_consistency(
    old: &TreeHead,
    new: &TreeHead,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old.size > new.size {
        return Err(ProofError::SizesReversed {
            old: old.size,
            new: new.size,
        });
    }
    if old.size == 0 {
        check_length(0, proof.len())?;
        for head in [old, new] {
            if head.size == 0 && head.root != EMPTY_ROOT {
                return Err(ProofError::NotTheEmptyRoot { root: head.root });
            }
        }
        return Ok(());
    }
    if old.size == new.size {
        check_length(0, proof.len())?;
        if old.root != new.root {
            return Err(ProofError::DifferentRoots {
                size: old.size,
                old: old.root,
                new: new.root,
            });
        }
        return Ok(());
    }
    let expected = consistency_proof_len(old.size, new.size);
    check_length(expected, proof.len())?;

    // RFC 9162 §2.1.4.2. Step 2 prepends the old root when the old tree is a complete subtree
    // of the new one; the proof then starts with the hash to chain from.
    let wrong_length = || ProofError::WrongLength {
        expected,
        actual: proof.len(),
    };
    let (first, rest) = if old.size.is_power_of_two() {
        (&old.root, proof)
    } else {
        proof.split_first().ok_or_else(wrong_length)?
    };
    let (mut f_n, mut s_n) = (old.size - 1, new.size - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut f_r, mut s_r) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return Err(wrong_length());
        }
        if f_n & 1 == 1 || f_n == s_n {
            f_r = node_hash(c, &f_r);
            s_r = node_hash(c, &s_r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            s_r = node_hash(&s_r, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(wrong_length());
    }
    if f_r != old.root {
        return Err(ProofError::OldRootMismatch {
            computed: f_r,
            expected: old.root,
        });
    }
    if s_r != new.root {
        return Err(ProofError::NewRootMismatch {
            computed: s_r,
            expected: new.root,
        });
    }
    Ok(())
}

fn check_length(expected: usize, actual: usize) -> Result<(), ProofError> {
    if expected == actual {
        Ok(())
    } else {
        Err(ProofError::WrongLength { expected, actual })
    }
}

/// Bits needed to write `n`.
fn bit_length(n: u64) -> u32 {
    u64::BITS - n.leading_zeros()
}

/// The inclusion proof of leaf `index` (< size) has one hash per level below the node where the
/// paths to `index` and to the last leaf part ("inner"), then one per complete subtree left of
/// that path ("border"): transparency-dev/merkle's `decompInclProof`.
fn inclusion_decomposition(index: u64, size: u64) -> (u32, u32) {
    let inner = bit_length(index ^ (size - 1));
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner, border)
}

fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (inner, border) = inclusion_decomposition(index, size);
    (inner + border) as usize
}

/// For 0 < old < new: the inclusion proof of the old tree's last leaf, less the levels inside
/// the largest complete subtree ending the old tree, plus that subtree's hash unless it is the
/// old tree itself (transparency-dev/merkle's `VerifyConsistency`).
fn consistency_proof_len(old: u64, new: u64) -> usize {
    let (inner, border) = inclusion_decomposition(old - 1, new);
    let shift = old.trailing_zeros();
    let seed = usize::from(!old.is_power_of_two());
    seed + (inner - shift + border) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::rfc9162_reference as reference;

    fn h(text: &str) -> Hash {
        hex::decode(text).unwrap().try_into().unwrap()
    }

    // Known answers transcribed from transparency-dev/merkle, `proof/verify_test.go`: the
    // eight leaves of RFC 6962's test tree, the roots of its prefixes, and proofs.
    const LEAVES: [&[u8]; 8] = [
        b"",
        &[0x00],
        &[0x10],
        &[0x20, 0x21],
        &[0x30, 0x31],
        &[0x40, 0x41, 0x42, 0x43],
        &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        &[
            0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
            0x6e, 0x6f,
        ],
    ];
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    /// `inclusionProofs`: (1-based leaf, tree size, proof).
    const INCLUSION: [(u64, u64, &[&str]); 5] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            3,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            2,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    /// `consistencyProofs`: (old size, new size, proof).
    const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];
    /// `sha256SomeHash`.
    const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

    fn hashes(texts: &[&str]) -> Vec<Hash> {
        texts.iter().map(|t| h(t)).collect()
    }

    fn head(size: u64) -> TreeHead {
        TreeHead {
            size,
            root: h(ROOTS[size as usize - 1]),
        }
    }

    fn known_tree() -> crate::MemoryTree {
        let mut tree = crate::MemoryTree::new();
        for leaf in LEAVES {
            tree.push(leaf_hash(leaf));
        }
        tree
    }

    #[test]
    fn known_roots_and_proofs_are_built_and_verified() {
        let tree = known_tree();
        for size in 1..=8 {
            assert_eq!(tree.root(size).unwrap(), head(size).root, "root of {size}");
        }
        for (leaf, size, proof) in INCLUSION {
            let proof = hashes(proof);
            assert_eq!(tree.inclusion_proof(leaf - 1, size).unwrap(), proof);
            let leaf_hash = leaf_hash(LEAVES[leaf as usize - 1]);
            assert_eq!(
                verify_inclusion(&leaf_hash, leaf - 1, &proof, &head(size)),
                Ok(())
            );
            for (what, probe) in inclusion_tampering(leaf - 1, &proof, &head(size), &leaf_hash) {
                assert!(probe.is_err(), "leaf {leaf} of {size}: accepted {what}");
            }
        }
        for (old, new, proof) in CONSISTENCY {
            let proof = hashes(proof);
            assert_eq!(tree.consistency_proof(old, new).unwrap(), proof);
            assert_eq!(verify_consistency(&head(old), &head(new), &proof), Ok(()));
            if old != new {
                for (what, probe) in consistency_tampering(&head(old), &head(new), &proof) {
                    assert!(probe.is_err(), "{old} → {new}: accepted {what}");
                }
            }
        }
    }

    /// The probes of transparency-dev/merkle's `corruptInclusionProof`, and a few more.
    fn inclusion_tampering(
        index: u64,
        proof: &[Hash],
        head: &TreeHead,
        leaf: &Hash,
    ) -> Vec<(String, Result<(), ProofError>)> {
        let size = head.size;
        let check = |leaf: &Hash, index: u64, proof: &[Hash], size: u64, root: &Hash| {
            verify_inclusion(leaf, index, proof, &TreeHead { size, root: *root })
        };
        let root = &head.root;
        let mut probes = vec![
            (
                "index - 1".to_string(),
                check(leaf, index.wrapping_sub(1), proof, size, root),
            ),
            (
                "index + 1".into(),
                check(leaf, index + 1, proof, size, root),
            ),
            (
                "index ^ 2".into(),
                check(leaf, index ^ 2, proof, size, root),
            ),
            ("size * 2".into(), check(leaf, index, proof, size * 2, root)),
            ("size / 2".into(), check(leaf, index, proof, size / 2, root)),
            (
                "wrong leaf".into(),
                check(&leaf_hash(b"WrongLeaf"), index, proof, size, root),
            ),
            (
                "empty root".into(),
                check(leaf, index, proof, size, &EMPTY_ROOT),
            ),
            (
                "random root".into(),
                check(leaf, index, proof, size, &h(SOME_HASH)),
            ),
            (
                "trailing root".into(),
                check(leaf, index, &[proof, &[*root]].concat(), size, root),
            ),
            (
                "preceding root".into(),
                check(leaf, index, &[&[*root], proof].concat(), size, root),
            ),
        ];
        if leaf != root {
            probes.push((
                "leaf hash and root swapped".into(),
                check(root, index, proof, size, leaf),
            ));
        }
        for i in 0..proof.len() {
            for bit in [0, 3, 255] {
                let mut wrong = proof.to_vec();
                wrong[i][bit / 8] ^= 1 << (bit % 8);
                probes.push((
                    format!("proof[{i}] bit {bit} flipped"),
                    check(leaf, index, &wrong, size, root),
                ));
            }
        }
        if let Some((_, shorter)) = proof.split_last() {
            probes.push((
                "removed last".into(),
                check(leaf, index, shorter, size, root),
            ));
            probes.push((
                "removed first".into(),
                check(leaf, index, &proof[1..], size, root),
            ));
        }
        if proof.len() > 1 {
            let mut inserted = proof.to_vec();
            inserted.insert(1, h(SOME_HASH));
            probes.push(("inserted".into(), check(leaf, index, &inserted, size, root)));
            let mut swapped = proof.to_vec();
            swapped.swap(0, 1);
            probes.push(("swapped".into(), check(leaf, index, &swapped, size, root)));
        }
        probes
    }

    /// The probes of transparency-dev/merkle's `corruptConsistencyProof`, and a few more.
    fn consistency_tampering(
        old: &TreeHead,
        new: &TreeHead,
        proof: &[Hash],
    ) -> Vec<(String, Result<(), ProofError>)> {
        let check = |old_size: u64, new_size: u64, old_root: &Hash, new_root: &Hash, p: &[Hash]| {
            verify_consistency(
                &TreeHead {
                    size: old_size,
                    root: *old_root,
                },
                &TreeHead {
                    size: new_size,
                    root: *new_root,
                },
                p,
            )
        };
        let (m, n, r1, r2) = (old.size, new.size, &old.root, &new.root);
        let some = h(SOME_HASH);
        let mut probes = vec![
            ("old - 1".to_string(), check(m - 1, n, r1, r2, proof)),
            ("old + 1".into(), check(m + 1, n, r1, r2, proof)),
            ("old ^ 2".into(), check(m ^ 2, n, r1, r2, proof)),
            ("new * 2".into(), check(m, n * 2, r1, r2, proof)),
            ("new / 2".into(), check(m, n / 2, r1, r2, proof)),
            ("wrong old root".into(), check(m, n, &some, r2, proof)),
            ("wrong new root".into(), check(m, n, r1, &some, proof)),
            ("swapped roots".into(), check(m, n, r2, r1, proof)),
            ("swapped heads".into(), check(n, m, r2, r1, proof)),
            ("empty proof".into(), check(m, n, r1, r2, &[])),
            (
                "trailing old root".into(),
                check(m, n, r1, r2, &[proof, &[*r1]].concat()),
            ),
            (
                "trailing new root".into(),
                check(m, n, r1, r2, &[proof, &[*r2]].concat()),
            ),
            (
                "preceding old root".into(),
                check(m, n, r1, r2, &[&[*r1], proof].concat()),
            ),
            (
                "preceding new root".into(),
                check(m, n, r1, r2, &[&[*r2], proof].concat()),
            ),
            (
                "preceding proof[0]".into(),
                check(m, n, r1, r2, &[&[proof[0]], proof].concat()),
            ),
            (
                "truncated".into(),
                check(m, n, r1, r2, &proof[..proof.len() - 1]),
            ),
        ];
        for i in 0..proof.len() {
            for bit in [0, 4, 255] {
                let mut wrong = proof.to_vec();
                wrong[i][bit / 8] ^= 1 << (bit % 8);
                probes.push((
                    format!("proof[{i}] bit {bit} flipped"),
                    check(m, n, r1, r2, &wrong),
                ));
            }
        }
        if proof.len() > 1 {
            let mut swapped = proof.to_vec();
            swapped.swap(0, 1);
            probes.push(("swapped".into(), check(m, n, r1, r2, &swapped)));
        }
        probes
    }

    /// Every proof of every tree of 1 to 70 leaves (from the RFC's definitions) verifies, and
    /// every tampered variant is refused; the expected lengths agree with the definitions.
    #[test]
    fn every_proof_verifies_and_every_tampering_is_refused() {
        let leaves: Vec<Hash> = (0..70u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for n in 1..=70usize {
            let data = &leaves[..n];
            let new = TreeHead {
                size: n as u64,
                root: reference::mth(data),
            };
            for i in 0..n {
                let proof = reference::path(i, data);
                assert_eq!(inclusion_proof_len(i as u64, n as u64), proof.len());
                assert_eq!(verify_inclusion(&data[i], i as u64, &proof, &new), Ok(()));
                for (what, probe) in inclusion_tampering(i as u64, &proof, &new, &data[i]) {
                    assert!(probe.is_err(), "leaf {i} of {n}: accepted {what}");
                }
                // The proof of the same leaf in a tree one leaf smaller or larger.
                for other in [n - 1, n + 1] {
                    if i < other && other <= leaves.len() {
                        let wrong = reference::path(i, &leaves[..other]);
                        assert!(
                            verify_inclusion(&data[i], i as u64, &wrong, &new).is_err(),
                            "leaf {i} of {n}: accepted the proof for size {other}"
                        );
                    }
                }
            }
            for m in 1..n {
                let proof = reference::proof(m, data);
                let old = TreeHead {
                    size: m as u64,
                    root: reference::mth(&data[..m]),
                };
                assert_eq!(consistency_proof_len(m as u64, n as u64), proof.len());
                assert_eq!(verify_consistency(&old, &new, &proof), Ok(()));
                for (what, probe) in consistency_tampering(&old, &new, &proof) {
                    assert!(probe.is_err(), "{m} → {n}: accepted {what}");
                }
                // The proof between other sizes.
                for (other_m, other_n) in [(m - 1, n), (m + 1, n), (m, n - 1), (m, n + 1)] {
                    if 0 < other_m && other_m < other_n && other_n <= leaves.len() {
                        let wrong = reference::proof(other_m, &leaves[..other_n]);
                        assert!(
                            verify_consistency(&old, &new, &wrong).is_err(),
                            "{m} → {n}: accepted the proof {other_m} → {other_n}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let tree = known_tree();
        let leaf = leaf_hash(LEAVES[2]);
        let proof = tree.inclusion_proof(2, 5).unwrap();
        assert_eq!(
            verify_inclusion(&leaf, 5, &proof, &head(5)),
            Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert_eq!(
            verify_inclusion(&leaf, 2, &proof[..2], &head(5)),
            Err(ProofError::WrongLength {
                expected: 3,
                actual: 2
            })
        );
        let mut flipped = proof.clone();
        flipped[1][0] ^= 1;
        assert!(matches!(
            verify_inclusion(&leaf, 2, &flipped, &head(5)),
            Err(ProofError::RootMismatch { expected, .. }) if expected == head(5).root
        ));

        let proof = tree.consistency_proof(3, 7).unwrap();
        assert_eq!(
            verify_consistency(&head(7), &head(3), &proof),
            Err(ProofError::SizesReversed { old: 7, new: 3 })
        );
        assert_eq!(
            verify_consistency(&head(3), &head(7), &[]),
            Err(ProofError::WrongLength {
                expected: proof.len(),
                actual: 0
            })
        );
        assert!(matches!(
            verify_consistency(
                &head(3),
                &TreeHead {
                    size: 7,
                    root: EMPTY_ROOT
                },
                &proof
            ),
            Err(ProofError::NewRootMismatch { .. })
        ));
        assert!(matches!(
            verify_consistency(
                &TreeHead {
                    size: 3,
                    root: EMPTY_ROOT
                },
                &head(7),
                &proof
            ),
            Err(ProofError::OldRootMismatch { .. })
        ));
        let message = verify_consistency(
            &head(3),
            &TreeHead {
                size: 3,
                root: EMPTY_ROOT,
            },
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains("aeb6bcfe274b70a1"), "{message}");
    }

    /// Transparency-dev/merkle's `TestVerifyConsistency` edge cases, with one deliberate
    /// difference: a tree head of size 0 must carry the empty tree's root.
    #[test]
    fn trivial_consistency() {
        let empty = TreeHead {
            size: 0,
            root: EMPTY_ROOT,
        };
        let one = head(1);
        assert_eq!(verify_consistency(&empty, &empty, &[]), Ok(()));
        assert_eq!(verify_consistency(&empty, &one, &[]), Ok(()));
        assert_eq!(verify_consistency(&one, &one, &[]), Ok(()));
        assert_eq!(
            verify_consistency(&one, &empty, &[]),
            Err(ProofError::SizesReversed { old: 1, new: 0 })
        );
        assert_eq!(
            verify_consistency(&head(2), &one, &[]),
            Err(ProofError::SizesReversed { old: 2, new: 1 })
        );
        assert_eq!(
            verify_consistency(&one, &head(2), &[]),
            Err(ProofError::WrongLength {
                expected: 1,
                actual: 0
            })
        );
        let not_empty = TreeHead {
            size: 0,
            root: one.root,
        };
        assert_eq!(
            verify_consistency(&not_empty, &one, &[]),
            Err(ProofError::NotTheEmptyRoot { root: one.root })
        );
        assert_eq!(
            verify_consistency(&empty, &not_empty, &[]),
            Err(ProofError::NotTheEmptyRoot { root: one.root })
        );
        assert!(matches!(
            verify_consistency(
                &one,
                &TreeHead {
                    size: 1,
                    root: EMPTY_ROOT
                },
                &[]
            ),
            Err(ProofError::DifferentRoots { size: 1, .. })
        ));
        // Roots that match, but a proof where none is due.
        for (old, new) in [(&empty, &empty), (&empty, &one), (&one, &one)] {
            assert_eq!(
                verify_consistency(old, new, &[EMPTY_ROOT]),
                Err(ProofError::WrongLength {
                    expected: 0,
                    actual: 1
                })
            );
        }
        // Inclusion in an empty tree, or past the end.
        for (index, size) in [(0, 0), (1, 0), (2, 1)] {
            assert_eq!(
                verify_inclusion(
                    &h(SOME_HASH),
                    index,
                    &[],
                    &TreeHead {
                        size,
                        root: EMPTY_ROOT
                    }
                ),
                Err(ProofError::IndexOutOfRange { index, size })
            );
        }
        // A single leaf: its hash is the root and the proof is empty.
        let data = leaf_hash(b"data");
        let single = TreeHead {
            size: 1,
            root: data,
        };
        assert_eq!(verify_inclusion(&data, 0, &[], &single), Ok(()));
        assert!(verify_inclusion(&EMPTY_ROOT, 0, &[], &single).is_err());
    }

    #[test]
    fn huge_sizes_do_not_overflow() {
        let huge = TreeHead {
            size: u64::MAX,
            root: EMPTY_ROOT,
        };
        assert!(matches!(
            verify_inclusion(&EMPTY_ROOT, u64::MAX - 1, &[], &huge),
            Err(ProofError::WrongLength { .. })
        ));
        assert!(matches!(
            verify_inclusion(&EMPTY_ROOT, 0, &[], &huge),
            Err(ProofError::WrongLength { expected: 64, .. })
        ));
        let old = TreeHead {
            size: 1 << 63,
            root: EMPTY_ROOT,
        };
        assert!(matches!(
            verify_consistency(&old, &huge, &[]),
            Err(ProofError::WrongLength { .. })
        ));
    }
}
