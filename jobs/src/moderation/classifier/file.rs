//! The model file: what `cohort train moderation` writes and the moderation job loads.
//!
//! Layout (little-endian):
//! `COHORTMD` (8 bytes) · format version u32 · header length u32 · header (JSON: features, threshold,
//! bias, training summary) · weight count u32 · that many (bucket u32, weight f32) pairs.
//!
//! The magic refuses files that are not models; the version lets a newer binary read (or clearly
//! refuse) an older model; only non-zero weights are stored, so a model is a few MB at most.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::{Classifier, ModelHeader};

/// The first bytes of every model file.
pub const MAGIC: &[u8; 8] = b"COHORTMD";
/// The version this build writes and reads. Version 2 (2026-12-07) puts n-grams into buckets by
/// multiply-shift; a version 1 model's weights sit in other buckets, so it must be retrained.
pub const VERSION: u32 = 2;

/// A model file that cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file does not start with the magic bytes.
    #[error("{path} is not a cohort moderation model (no COHORTMD header)")]
    NotAModel {
        /// The file.
        path: PathBuf,
    },
    /// The file was written by a format version this build does not read.
    #[error("{path}: model format version {found}, this build reads version {VERSION}; retrain it")]
    Version {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
    },
    /// The file is truncated or its contents are inconsistent.
    #[error("{path}: corrupt model file: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Writes `model` to `path`.
pub fn save(model: &Classifier, path: &Path) -> Result<(), ModelFileError> {
    let io = |source| ModelFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let header = serde_json::to_vec(&model.header).map_err(|e| ModelFileError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let nonzero: Vec<(u32, f32)> = model
        .weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w != 0.0)
        .map(|(i, w)| (i as u32, *w))
        .collect();
    let mut out = Vec::with_capacity(20 + header.len() + nonzero.len() * 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&(nonzero.len() as u32).to_le_bytes());
    for (i, w) in nonzero {
        out.extend_from_slice(&i.to_le_bytes());
        out.extend_from_slice(&w.to_le_bytes());
    }
    let mut file = std::fs::File::create(path).map_err(io)?;
    file.write_all(&out).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Reads the model at `path`.
pub fn load(path: &Path) -> Result<Classifier, ModelFileError> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|source| ModelFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    parse(&bytes).map_err(|e| e.at(path))
}

/// A parse failure before the path is known.
enum ParseError {
    NotAModel,
    Version(u32),
    Corrupt(String),
}

impl ParseError {
    fn at(self, path: &Path) -> ModelFileError {
        let path = path.to_path_buf();
        match self {
            ParseError::NotAModel => ModelFileError::NotAModel { path },
            ParseError::Version(found) => ModelFileError::Version { path, found },
            ParseError::Corrupt(message) => ModelFileError::Corrupt { path, message },
        }
    }
}

/// Reads fixed-size fields off the front of a byte slice.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ParseError> {
        if self.0.len() < n {
            return Err(ParseError::Corrupt("truncated".into()));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, ParseError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

fn parse(bytes: &[u8]) -> Result<Classifier, ParseError> {
    let mut c = Cursor(bytes);
    if c.take(MAGIC.len()).map_err(|_| ParseError::NotAModel)? != MAGIC {
        return Err(ParseError::NotAModel);
    }
    let version = c.u32()?;
    if version != VERSION {
        return Err(ParseError::Version(version));
    }
    let header_len = c.u32()? as usize;
    let header: ModelHeader = serde_json::from_slice(c.take(header_len)?)
        .map_err(|e| ParseError::Corrupt(format!("header: {e}")))?;
    if let Some(message) = header.features.invalid() {
        return Err(ParseError::Corrupt(message));
    }
    let mut weights = vec![0f32; header.features.dimension()];
    let count = c.u32()?;
    for _ in 0..count {
        let i = c.u32()? as usize;
        let w = f32::from_bits(c.u32()?);
        let slot = weights
            .get_mut(i)
            .ok_or_else(|| ParseError::Corrupt(format!("weight index {i} out of range")))?;
        *slot = w;
    }
    if !c.0.is_empty() {
        return Err(ParseError::Corrupt(format!("{} trailing bytes", c.0.len())));
    }
    Ok(Classifier { header, weights })
}
