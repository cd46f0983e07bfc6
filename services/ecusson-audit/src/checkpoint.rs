//! Checkpoints (<https://c2sp.org/tlog-checkpoint>): a signed note whose text is the log's
//! origin, the tree size in decimal, the root hash in base64, then optional extension lines.
//!
//! ```text
//! ecusson.example/audit/<tenant>
//! 20852163
//! CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
//!
//! — ecusson.example/audit Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
//! ```
//!
//! Reading one is strict: the origin must be the one expected, the size canonical decimal (no
//! sign, no leading zero), the root canonical base64 of exactly 32 bytes, and no line empty.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;

use crate::hash::Hash;
use crate::note::{open_note, sign_note, NoteError, NoteVerifier};
use crate::verify::TreeHead;

/// A log's signed statement of its tree at one size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, e.g. `ecusson.example/audit/<tenant id>`.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Opaque, optional, non-empty lines after the root; the specification advises against them
    /// (monitors cannot audit them).
    pub extensions: Vec<String>,
}

/// Why a checkpoint cannot be written or read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    #[error(transparent)]
    Note(#[from] NoteError),
    #[error("a checkpoint has at least three lines (origin, size, root), not {0}")]
    TooFewLines(usize),
    #[error("line {0} of the checkpoint is empty")]
    EmptyLine(usize),
    #[error("the checkpoint is for the log {found:?}, not {expected:?}")]
    WrongOrigin { expected: String, found: String },
    #[error("the tree size {0:?} is not a decimal number without sign or leading zeros")]
    BadSize(String),
    #[error("the root hash {0:?} is not the base64 of 32 bytes")]
    BadRoot(String),
    #[error("invalid origin {0:?}: it must be one non-empty line without control characters")]
    InvalidOrigin(String),
    #[error(
        "invalid extension line {0:?}: it must be one non-empty line without control characters"
    )]
    InvalidExtension(String),
}

/// A line of a checkpoint's text: non-empty, no newline nor other control character.
fn is_valid_line(line: &str) -> bool {
    !line.is_empty() && !line.chars().any(|c| c < '\u{20}')
}

impl Checkpoint {
    /// The size and root, to check proofs against.
    pub fn tree_head(&self) -> TreeHead {
        TreeHead {
            size: self.size,
            root: self.root,
        }
    }

    /// The note text: origin, size, root and extensions, one per line.
    pub fn text(&self) -> Result<String, CheckpointError> {
        if !is_valid_line(&self.origin) {
            return Err(CheckpointError::InvalidOrigin(self.origin.clone()));
        }
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        );
        for extension in &self.extensions {
            if !is_valid_line(extension) {
                return Err(CheckpointError::InvalidExtension(extension.clone()));
            }
            text.push_str(extension);
            text.push('\n');
        }
        Ok(text)
    }

    /// The signed checkpoint: its text signed by the Ed25519 key named `key_name` (which should
    /// be the origin, or the network's audit key's name).
    pub fn sign(&self, key_name: &str, key: &SigningKey) -> Result<String, CheckpointError> {
        Ok(sign_note(&self.text()?, key_name, key)?)
    }

    /// Reads a signed checkpoint of the log `origin`, signed by one of `verifiers` (see
    /// [`open_note`] for the signature rules).
    pub fn open(
        note: &str,
        origin: &str,
        verifiers: &[NoteVerifier],
    ) -> Result<Checkpoint, CheckpointError> {
        let opened = open_note(note, verifiers)?;
        let lines: Vec<&str> = opened
            .text
            .strip_suffix('\n')
            .unwrap_or(&opened.text)
            .split('\n')
            .collect();
        if let Some(empty) = lines.iter().position(|line| line.is_empty()) {
            return Err(CheckpointError::EmptyLine(empty + 1));
        }
        let [found_origin, size, root, extensions @ ..] = lines.as_slice() else {
            return Err(CheckpointError::TooFewLines(lines.len()));
        };
        if *found_origin != origin {
            return Err(CheckpointError::WrongOrigin {
                expected: origin.to_owned(),
                found: (*found_origin).to_owned(),
            });
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size: parse_size(size)?,
            root: parse_root(root)?,
            extensions: extensions.iter().map(|line| (*line).to_owned()).collect(),
        })
    }
}

fn parse_size(text: &str) -> Result<u64, CheckpointError> {
    let bad = || CheckpointError::BadSize(text.to_owned());
    let canonical =
        text == "0" || (text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0'));
    if !canonical || text.is_empty() {
        return Err(bad());
    }
    text.parse().map_err(|_| bad())
}

/// The base64 engine refuses non-canonical padding and trailing bits, so one root has one
/// spelling.
fn parse_root(text: &str) -> Result<Hash, CheckpointError> {
    BASE64
        .decode(text)
        .ok()
        .and_then(|bytes| Hash::try_from(bytes).ok())
        .ok_or_else(|| CheckpointError::BadRoot(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{leaf_hash, EMPTY_ROOT};
    use crate::verify::{verify_consistency, verify_inclusion};
    use crate::MemoryTree;

    const ORIGIN: &str = "ecusson.example/audit/tenant-1";
    const KEY_NAME: &str = "ecusson.example/audit";

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn verifier(seed: u8) -> NoteVerifier {
        NoteVerifier::new(KEY_NAME, key(seed).verifying_key()).unwrap()
    }

    fn checkpoint(size: u64) -> Checkpoint {
        let mut tree = MemoryTree::new();
        for i in 0..size {
            tree.push(leaf_hash(&i.to_be_bytes()));
        }
        Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: tree.root(size).unwrap(),
            extensions: Vec::new(),
        }
    }

    #[test]
    fn round_trip() {
        for size in [0, 1, 7, 1000] {
            let mut checkpoint = checkpoint(size);
            let note = checkpoint.sign(KEY_NAME, &key(1)).unwrap();
            assert_eq!(
                Checkpoint::open(&note, ORIGIN, &[verifier(1)]),
                Ok(checkpoint.clone())
            );
            // The same inputs give the same bytes.
            assert_eq!(checkpoint.sign(KEY_NAME, &key(1)).unwrap(), note);
            checkpoint.extensions = vec!["timestamp 1700000000".into(), "x".into()];
            let note = checkpoint.sign(KEY_NAME, &key(1)).unwrap();
            assert_eq!(
                Checkpoint::open(&note, ORIGIN, &[verifier(1)]),
                Ok(checkpoint)
            );
        }
        let empty = checkpoint(0);
        assert_eq!(empty.root, EMPTY_ROOT);
        assert_eq!(
            empty.text().unwrap(),
            format!("{ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")
        );
    }

    /// The layout, byte for byte, and the key ID of the specification's formula.
    #[test]
    fn layout() {
        let checkpoint = Checkpoint {
            origin: ORIGIN.into(),
            size: 20852163,
            root: BASE64
                .decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
                .unwrap()
                .try_into()
                .unwrap(),
            extensions: vec![],
        };
        let note = checkpoint.sign(KEY_NAME, &key(1)).unwrap();
        let (text, signature) = note.split_once("\n\n").unwrap();
        assert_eq!(
            text,
            format!("{ORIGIN}\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
        );
        let line = signature.strip_suffix('\n').unwrap();
        let encoded = line.strip_prefix("— ecusson.example/audit ").unwrap();
        let bytes = BASE64.decode(encoded).unwrap();
        assert_eq!(bytes.len(), 4 + 64);
        let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
        sha2::Digest::update(&mut hasher, KEY_NAME.as_bytes());
        sha2::Digest::update(&mut hasher, [0x0a, 0x01]);
        sha2::Digest::update(&mut hasher, key(1).verifying_key().as_bytes());
        assert_eq!(bytes[..4], sha2::Digest::finalize(hasher)[..4]);
    }

    /// Real checkpoints of the Go checksum database (sum.golang.org, whose origin line is
    /// `go.sum database tree`), verified with the key Go publishes (cmd/go's default GOSUMDB).
    /// The first was printed in Ardan Labs' "Modules Part 04: Mirrors, Checksums and Athens"
    /// (GET /sumdb/sum.golang.org/latest), the second is pinned in the tests of a public
    /// TypeScript transparency log (fetched 2026-09-28). Only the holder of Go's key could have
    /// made either.
    #[test]
    fn reads_checkpoints_of_the_go_checksum_database() {
        let go: [NoteVerifier; 1] = [
            "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
                .parse()
                .unwrap(),
        ];
        let cases = [
            (
                "go.sum database tree\n756113\nk9nFMBuXq8uk+9SQNxs/Vadri2XDkaoo96u4uMa0qE0=\n\n\
                 — sum.golang.org Az3grgIHxiDLRpsKUElIX5vJMlFS79SqfQDSgHQmON922lNdJ5zxF8SSPPcah3jhIkpG8LSKNaWXiy7IldOSDCt4Pwk=\n",
                756113,
                "k9nFMBuXq8uk+9SQNxs/Vadri2XDkaoo96u4uMa0qE0=",
            ),
            (
                "go.sum database tree\n65664258\nWVVNVD2qx+fTq31zkj6UAqxT5X6HvGphGM+o8Thnbsg=\n\n\
                 — sum.golang.org Az3grligJmgX7KGyGPKybykNTh3VgsbLvUuvOwrM5zLVlulmFp2wdvbxOw74/gcNxURShXEpb7RXcs3+BYflYN+w0gQ=\n",
                65664258,
                "WVVNVD2qx+fTq31zkj6UAqxT5X6HvGphGM+o8Thnbsg=",
            ),
        ];
        for (note, size, root) in cases {
            let checkpoint = Checkpoint::open(note, "go.sum database tree", &go).unwrap();
            assert_eq!(checkpoint.size, size);
            assert_eq!(BASE64.encode(checkpoint.root), root);
            assert!(checkpoint.extensions.is_empty());
            // Each line tampered.
            for (from, to) in [
                ("go.sum", "go.sun"),
                (&size.to_string()[..], &(size + 1).to_string()[..]),
                (&root[..4], "AAAA"),
            ] {
                let tampered = note.replacen(from, to, 1);
                assert!(
                    Checkpoint::open(&tampered, "go.sum database tree", &go).is_err(),
                    "{tampered}"
                );
            }
        }
    }

    #[test]
    fn tampering_is_refused() {
        let checkpoint = checkpoint(7);
        let note = checkpoint.sign(KEY_NAME, &key(1)).unwrap();
        let root = BASE64.encode(checkpoint.root);
        let bad_signature = Err(CheckpointError::Note(NoteError::BadSignature {
            key: format!("{KEY_NAME}+{:08x}", verifier(1).key_id()),
        }));
        // Each line of the text changed: the signature no longer holds.
        let other_root = BASE64.encode(EMPTY_ROOT);
        for tampered in [
            note.replacen("tenant-1", "tenant-2", 1),
            note.replacen("\n7\n", "\n8\n", 1),
            note.replacen(&root, &other_root, 1),
            note.replacen(&format!("{root}\n"), &format!("{root}\nextension\n"), 1),
        ] {
            // The signature is checked before the text is read, so even another origin is
            // refused as a bad signature.
            assert_eq!(
                Checkpoint::open(&tampered, ORIGIN, &[verifier(1)]),
                bad_signature,
                "{tampered}"
            );
        }
        // The signature line changed.
        let (text, signature) = note.split_once("\n\n").unwrap();
        let mut bytes = BASE64
            .decode(signature.trim_end().rsplit(' ').next().unwrap())
            .unwrap();
        bytes[10] ^= 1;
        let flipped = format!("{text}\n\n— {KEY_NAME} {}\n", BASE64.encode(&bytes));
        assert_eq!(
            Checkpoint::open(&flipped, ORIGIN, &[verifier(1)]),
            bad_signature
        );
        // Wrong origin, wrong key, no signature, two signatures of the key.
        assert_eq!(
            Checkpoint::open(&note, "ecusson.example/audit/tenant-2", &[verifier(1)]),
            Err(CheckpointError::WrongOrigin {
                expected: "ecusson.example/audit/tenant-2".into(),
                found: ORIGIN.into()
            })
        );
        assert_eq!(
            Checkpoint::open(&note, ORIGIN, &[verifier(2)]),
            Err(CheckpointError::Note(NoteError::NoKnownSignature {
                signers: vec![format!("{KEY_NAME}+{:08x}", verifier(1).key_id())]
            }))
        );
        assert_eq!(
            Checkpoint::open(&format!("{text}\n\n"), ORIGIN, &[verifier(1)]),
            Err(CheckpointError::Note(NoteError::NoSignatures))
        );
        assert_eq!(
            Checkpoint::open(&format!("{note}{signature}"), ORIGIN, &[verifier(1)])
                .map_err(|e| e.to_string()),
            Err(format!(
                "the known key {KEY_NAME}+{:08x} signs the note more than once",
                verifier(1).key_id()
            ))
        );
        // Another key's signature beside ours is ignored (a witness's cosignature, say).
        let other = checkpoint.sign("witness.example", &key(3)).unwrap();
        let other_line = other.split_once("\n\n").unwrap().1;
        assert_eq!(
            Checkpoint::open(&format!("{note}{other_line}"), ORIGIN, &[verifier(1)]),
            Ok(checkpoint)
        );
    }

    /// Texts that are not checkpoints, signed by the right key: refused when read.
    #[test]
    fn malformed_texts_are_refused() {
        let root = BASE64.encode(EMPTY_ROOT);
        let cases = [
            (format!("{ORIGIN}\n7\n"), CheckpointError::TooFewLines(2)),
            (format!("{ORIGIN}\n"), CheckpointError::TooFewLines(1)),
            (
                format!("{ORIGIN}\n\n7\n{root}\n"),
                CheckpointError::EmptyLine(2),
            ),
            (
                format!("{ORIGIN}\n7\n{root}\n\next\n"),
                CheckpointError::EmptyLine(4),
            ),
            (
                format!("{ORIGIN}\n07\n{root}\n"),
                CheckpointError::BadSize("07".into()),
            ),
            (
                format!("{ORIGIN}\n+7\n{root}\n"),
                CheckpointError::BadSize("+7".into()),
            ),
            (
                format!("{ORIGIN}\n-1\n{root}\n"),
                CheckpointError::BadSize("-1".into()),
            ),
            (
                format!("{ORIGIN}\n7.0\n{root}\n"),
                CheckpointError::BadSize("7.0".into()),
            ),
            (
                format!("{ORIGIN}\n 7\n{root}\n"),
                CheckpointError::BadSize(" 7".into()),
            ),
            (
                format!("{ORIGIN}\n0x7\n{root}\n"),
                CheckpointError::BadSize("0x7".into()),
            ),
            (
                format!("{ORIGIN}\n18446744073709551616\n{root}\n"),
                CheckpointError::BadSize("18446744073709551616".into()),
            ),
            (
                format!("{ORIGIN}\n7\n{}\n", hex::encode(EMPTY_ROOT)),
                CheckpointError::BadRoot(hex::encode(EMPTY_ROOT)),
            ),
            (
                format!("{ORIGIN}\n7\nAAAA\n"),
                CheckpointError::BadRoot("AAAA".into()),
            ),
            (
                format!("{ORIGIN}\n7\n{}\n", root.trim_end_matches('=')),
                CheckpointError::BadRoot(root.trim_end_matches('=').into()),
            ),
            // Non-canonical: the last character carries bits beyond the 32 bytes.
            (
                format!("{ORIGIN}\n7\n{}V=\n", &root[..42]),
                CheckpointError::BadRoot(format!("{}V=", &root[..42])),
            ),
            (
                format!("tenant-1\n7\n{root}\n"),
                CheckpointError::WrongOrigin {
                    expected: ORIGIN.into(),
                    found: "tenant-1".into(),
                },
            ),
        ];
        for (text, error) in cases {
            let note = sign_note(&text, KEY_NAME, &key(1)).unwrap();
            assert_eq!(
                Checkpoint::open(&note, ORIGIN, &[verifier(1)]),
                Err(error),
                "{text:?}"
            );
        }
        // Nothing malformed is signed either.
        let mut bad = checkpoint(1);
        bad.origin = "two\nlines".into();
        assert!(matches!(
            bad.sign(KEY_NAME, &key(1)),
            Err(CheckpointError::InvalidOrigin(_))
        ));
        bad.origin = String::new();
        assert!(matches!(
            bad.sign(KEY_NAME, &key(1)),
            Err(CheckpointError::InvalidOrigin(_))
        ));
        let mut bad = checkpoint(1);
        bad.extensions = vec![String::new()];
        assert!(matches!(
            bad.sign(KEY_NAME, &key(1)),
            Err(CheckpointError::InvalidExtension(_))
        ));
        bad.extensions = vec!["a\tb".into()];
        assert!(matches!(
            bad.sign(KEY_NAME, &key(1)),
            Err(CheckpointError::InvalidExtension(_))
        ));
        assert!(matches!(
            checkpoint(1).sign("bad name", &key(1)),
            Err(CheckpointError::Note(NoteError::InvalidKeyName(_)))
        ));
    }

    /// What `ecusson audit verify` will do: a leaf is in checkpoint k, checkpoint k extends
    /// checkpoint j, both read from signed notes.
    #[test]
    fn proofs_against_opened_checkpoints() {
        let mut tree = MemoryTree::new();
        for i in 0..20u64 {
            tree.push(leaf_hash(&i.to_be_bytes()));
        }
        let sign = |size| {
            Checkpoint {
                origin: ORIGIN.into(),
                size,
                root: tree.root(size).unwrap(),
                extensions: vec![],
            }
            .sign(KEY_NAME, &key(1))
            .unwrap()
        };
        let old = Checkpoint::open(&sign(13), ORIGIN, &[verifier(1)]).unwrap();
        let new = Checkpoint::open(&sign(20), ORIGIN, &[verifier(1)]).unwrap();
        let proof = tree.inclusion_proof(11, 20).unwrap();
        let leaf = leaf_hash(&11u64.to_be_bytes());
        assert_eq!(
            verify_inclusion(&leaf, 11, &proof, &new.tree_head()),
            Ok(())
        );
        assert!(verify_inclusion(&leaf, 11, &proof, &old.tree_head()).is_err());
        let proof = tree.consistency_proof(13, 20).unwrap();
        assert_eq!(
            verify_consistency(&old.tree_head(), &new.tree_head(), &proof),
            Ok(())
        );
        assert!(verify_consistency(&new.tree_head(), &old.tree_head(), &proof).is_err());
    }
}
