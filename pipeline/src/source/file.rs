//! JSON Lines files: plain files are cut into byte ranges so several workers share one file; gzip files
//! cannot be entered mid-stream and are read whole by one worker.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{RecordFn, SourceError, Split};

/// Plain files smaller than this are not cut: the cut would cost more than it spreads.
const MIN_RANGE_BYTES: u64 = 1 << 20;

/// A byte range of a plain file, or a whole gzip file, read line by line.
pub struct FileSplit {
    id: String,
    label: String,
    path: PathBuf,
    gzip: bool,
    start: u64,
    end: u64,
    reader: Option<Box<dyn BufRead>>,
    position: u64,
    line: Vec<u8>,
}

impl FileSplit {
    fn new(path: PathBuf, gzip: bool, start: u64, end: u64) -> Self {
        FileSplit {
            id: format!("file:{}@{start}", path.display()),
            label: format!("file:{}", path.display()),
            path,
            gzip,
            start,
            end,
            reader: None,
            position: start,
            line: Vec::with_capacity(4096),
        }
    }

    fn io(&self, source: std::io::Error) -> SourceError {
        SourceError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Opens the file positioned at the first line that starts at or after `position`.
    fn open_at(&mut self, position: u64) -> Result<(), SourceError> {
        let file = File::open(&self.path).map_err(|e| self.io(e))?;
        let mut reader: Box<dyn BufRead> = if self.gzip {
            let mut r = BufReader::with_capacity(
                1 << 20,
                flate2::read::MultiGzDecoder::new(BufReader::new(file)),
            );
            std::io::copy(&mut (&mut r).take(position), &mut std::io::sink())
                .map_err(|e| self.io(e))?;
            Box::new(r)
        } else {
            let mut file = file;
            file.seek(SeekFrom::Start(position))
                .map_err(|e| self.io(e))?;
            Box::new(BufReader::with_capacity(1 << 20, file))
        };
        let mut position = position;
        if position == self.start && self.start > 0 {
            // A range starts mid-line unless the previous byte ends a line: that line belongs to the
            // range before, so skip to the next line start.
            let mut file = File::open(&self.path).map_err(|e| self.io(e))?;
            file.seek(SeekFrom::Start(self.start - 1))
                .map_err(|e| self.io(e))?;
            let mut prev = [0u8; 1];
            file.read_exact(&mut prev).map_err(|e| self.io(e))?;
            if prev[0] != b'\n' {
                self.line.clear();
                position += reader
                    .read_until(b'\n', &mut self.line)
                    .map_err(|e| self.io(e))? as u64;
            }
        }
        self.reader = Some(reader);
        self.position = position;
        Ok(())
    }
}

impl Split for FileSplit {
    fn id(&self) -> &str {
        &self.id
    }

    fn label(&self) -> &str {
        &self.label
    }

    fn seek(&mut self, position: u64) -> Result<(), SourceError> {
        self.open_at(position)
    }

    fn read(&mut self, max: usize, f: &mut RecordFn<'_>) -> Result<bool, SourceError> {
        if self.reader.is_none() {
            self.open_at(self.start)?;
        }
        for _ in 0..max {
            if self.position >= self.end {
                return Ok(false);
            }
            self.line.clear();
            let reader = self.reader.as_mut().expect("opened above");
            let n = match reader.read_until(b'\n', &mut self.line) {
                Ok(n) => n,
                Err(e) => return Err(self.io(e)),
            };
            if n == 0 {
                self.end = self.position;
                return Ok(false);
            }
            let at = self.position;
            self.position += n as u64;
            let record = trim_line(&self.line);
            if !record.iter().all(u8::is_ascii_whitespace) {
                f(at, record, None);
            }
        }
        Ok(true)
    }

    fn position(&self) -> u64 {
        self.position
    }
}

fn trim_line(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &line[..end]
}

/// The splits of a file or directory, in a fixed order: files sorted by name, plain files of at least
/// 1 MiB cut into `pieces` byte ranges.
pub fn plan_files(path: &Path, pieces: usize) -> Result<Vec<FileSplit>, SourceError> {
    let io = |source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let mut files = Vec::new();
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).map_err(io)? {
            let p = entry.map_err(io)?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let wanted = [".jsonl", ".json", ".ndjson", ".gz"]
                .iter()
                .any(|ext| name.ends_with(ext));
            if wanted && !name.starts_with('.') && p.is_file() {
                files.push(p);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(SourceError::Empty(path.to_path_buf()));
        }
    } else {
        files.push(path.to_path_buf());
    }
    let mut splits = Vec::new();
    for file in files {
        let len = std::fs::metadata(&file).map_err(io)?.len();
        let gzip = file.extension().is_some_and(|e| e == "gz");
        if gzip || len < MIN_RANGE_BYTES || pieces <= 1 {
            splits.push(FileSplit::new(file, gzip, 0, u64::MAX));
            continue;
        }
        let step = len.div_ceil(pieces as u64);
        for i in 0..pieces as u64 {
            let start = i * step;
            let end = if i + 1 == pieces as u64 {
                u64::MAX
            } else {
                (i + 1) * step
            };
            splits.push(FileSplit::new(file.clone(), false, start, end));
        }
    }
    Ok(splits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(split: &mut dyn Split) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        while split
            .read(7, &mut |p, b, _| {
                out.push((p, String::from_utf8_lossy(b).into_owned()))
            })
            .unwrap()
        {}
        out
    }

    fn lines(n: usize) -> String {
        (0..n)
            .map(|i| format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", "x".repeat(i % 300)))
            .collect()
    }

    #[test]
    fn ranges_cover_every_line_exactly_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.jsonl");
        let text = lines(20_000);
        std::fs::write(&path, &text).unwrap();
        for pieces in [1, 2, 3, 7] {
            let mut seen = Vec::new();
            for mut split in plan_files(&path, pieces).unwrap() {
                seen.extend(read_all(&mut split).into_iter().map(|(_, l)| l));
            }
            let expected: Vec<String> = text.lines().map(str::to_string).collect();
            assert_eq!(seen, expected, "{pieces} pieces");
        }
    }

    #[test]
    fn seeking_to_a_returned_position_resumes_there() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.jsonl");
        let text = lines(3000);
        std::fs::write(&plain, &text).unwrap();
        let gz = dir.path().join("b.jsonl.gz");
        let mut enc = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), Default::default());
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap();
        for path in [plain, gz] {
            let mut split = plan_files(&path, 1).unwrap().remove(0);
            let all = read_all(&mut split);
            let (pos, _) = all[1234];
            let mut again = plan_files(&path, 1).unwrap().remove(0);
            again.seek(pos).unwrap();
            assert_eq!(
                read_all(&mut again),
                all[1234..].to_vec(),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn directories_are_read_in_name_order_and_blank_lines_skipped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("2.jsonl"), "b\r\n\n   \n").unwrap();
        std::fs::write(dir.path().join("1.jsonl"), "a\n").unwrap();
        std::fs::write(dir.path().join(".hidden.jsonl"), "x\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x\n").unwrap();
        let mut seen = Vec::new();
        for mut split in plan_files(dir.path(), 2).unwrap() {
            seen.extend(read_all(&mut split).into_iter().map(|(_, l)| l));
        }
        assert_eq!(seen, ["a", "b"]);
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            plan_files(empty.path(), 1),
            Err(SourceError::Empty(_))
        ));
    }
}
