//! Where `cohort generate` and `cohort import` write their events: a JSON Lines file, gzip-compressed
//! when its name ends in `.gz`, or standard output for `-`. `cohort run --source file` and
//! `cohort produce` read both forms back, so every producer of event files goes through here.

use std::fs::File;
use std::io::{BufWriter, Stdout, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;

/// Why an event file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct JsonlOutError {
    /// The file (`-` for standard output).
    pub path: PathBuf,
    /// The cause.
    pub source: std::io::Error,
}

/// An open event file. Write lines to it, then call [`JsonlOut::finish`]: a gzip file is only complete
/// once its trailer is written, which dropping it does not report on.
pub struct JsonlOut {
    path: PathBuf,
    sink: Sink,
}

enum Sink {
    Stdout(BufWriter<Stdout>),
    Plain(BufWriter<File>),
    // Boxed: the encoder's state is large, and the enum should not be.
    Gzip(Box<GzEncoder<BufWriter<File>>>),
}

impl JsonlOut {
    /// Creates (or truncates) `path`; `-` is standard output.
    pub fn create(path: &Path) -> Result<JsonlOut, JsonlOutError> {
        let sink = if path.as_os_str() == "-" {
            Sink::Stdout(BufWriter::new(std::io::stdout()))
        } else {
            let file = File::create(path).map_err(|source| JsonlOutError {
                path: path.to_path_buf(),
                source,
            })?;
            let out = BufWriter::with_capacity(1 << 20, file);
            if path.extension().is_some_and(|e| e == "gz") {
                // Fast compression: these files are written once and read a few times, and the
                // generator's million events would otherwise spend most of their time in deflate.
                Sink::Gzip(Box::new(GzEncoder::new(out, flate2::Compression::fast())))
            } else {
                Sink::Plain(out)
            }
        };
        Ok(JsonlOut {
            path: path.to_path_buf(),
            sink,
        })
    }

    /// Writes one line: `line` and a newline.
    pub fn line(&mut self, line: &str) -> Result<(), JsonlOutError> {
        self.write_all(line.as_bytes())
            .and_then(|()| self.write_all(b"\n"))
            .map_err(|source| self.error(source))
    }

    /// Flushes everything and completes a gzip file.
    pub fn finish(self) -> Result<(), JsonlOutError> {
        let path = self.path;
        let done = match self.sink {
            Sink::Stdout(mut w) => w.flush(),
            Sink::Plain(mut w) => w.flush(),
            Sink::Gzip(gz) => (*gz).finish().and_then(|mut w| w.flush()),
        };
        done.map_err(|source| JsonlOutError { path, source })
    }

    /// The error of a failed write to this file.
    pub fn error(&self, source: std::io::Error) -> JsonlOutError {
        JsonlOutError {
            path: self.path.clone(),
            source,
        }
    }
}

impl Write for JsonlOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.sink {
            Sink::Stdout(w) => w.write(buf),
            Sink::Plain(w) => w.write(buf),
            Sink::Gzip(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(w) => w.flush(),
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn plain_and_gzip_files_hold_the_same_lines() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["events.jsonl", "events.jsonl.gz"] {
            let path = dir.path().join(name);
            let mut out = JsonlOut::create(&path).unwrap();
            out.line("{\"a\":1}").unwrap();
            out.line("{\"b\":2}").unwrap();
            out.finish().unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let text = if name.ends_with(".gz") {
                let mut s = String::new();
                flate2::read::GzDecoder::new(&bytes[..])
                    .read_to_string(&mut s)
                    .unwrap();
                s
            } else {
                String::from_utf8(bytes).unwrap()
            };
            assert_eq!(text, "{\"a\":1}\n{\"b\":2}\n", "{name}");
        }
    }

    #[test]
    fn a_file_in_a_missing_directory_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no/such/dir/events.jsonl");
        let Err(err) = JsonlOut::create(&path) else {
            panic!("created a file in a missing directory");
        };
        assert!(err.to_string().contains("no/such/dir"), "{err}");
    }
}
