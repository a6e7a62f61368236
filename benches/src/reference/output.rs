//! From a job's output collection to the CSV file. Each worker folds the changes its part of the output
//! went through into net multiplicities as they happen (so it holds about one entry per key, not the
//! history); at the end the rows left must each stand exactly once, and are written sorted by key as
//! headerless `key…,count`, what the kit's `compare.py` reads as a Bytewax result.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::Hash;
use std::path::Path;
use std::rc::Rc;

use cohort_schemas::Kind;

use super::error::ReferenceError;
use super::input::Coll;

/// A result key that is three CSV fields.
pub(crate) trait CsvKey: differential_dataflow::Data + Hash + Send {
    /// The key's fields, in column order.
    fn fields(&self) -> [&str; 3];
}

impl CsvKey for (String, String, Kind) {
    fn fields(&self) -> [&str; 3] {
        [&self.0, &self.1, self.2.name()]
    }
}

impl CsvKey for (String, String, String) {
    fn fields(&self) -> [&str; 3] {
        [&self.0, &self.1, &self.2]
    }
}

/// The net multiplicity of each (key, count) row of one worker's output so far; rows whose changes
/// cancel out are dropped as they do.
pub(crate) type Net<K> = Rc<RefCell<HashMap<(K, isize), isize>>>;

/// Follows `output` on this worker into a [`Net`], read once the dataflow has finished.
pub(crate) fn follow<K: CsvKey>(output: Coll<'_, (K, isize)>) -> Net<K> {
    let net: Net<K> = Rc::default();
    let sink = Rc::clone(&net);
    let _followed = output.inspect_batch(move |_, updates| {
        let mut net = sink.borrow_mut();
        for (row, _time, diff) in updates {
            match net.get_mut(row) {
                Some(m) => {
                    *m += diff;
                    if *m == 0 {
                        net.remove(row);
                    }
                }
                None => {
                    net.insert(row.clone(), *diff);
                }
            }
        }
    });
    net
}

/// The final rows of a finished worker: every row left must stand exactly once.
pub(crate) fn final_rows<K: CsvKey>(net: &Net<K>) -> Result<Vec<(K, isize)>, ReferenceError> {
    let net = net.take();
    let mut rows = Vec::with_capacity(net.len());
    for ((key, count), multiplicity) in net {
        if multiplicity != 1 {
            return Err(ReferenceError::Inconsistent {
                key: key.fields().join(","),
                problem: format!("has count {count} with multiplicity {multiplicity}"),
            });
        }
        rows.push((key, count));
    }
    Ok(rows)
}

/// Writes `rows` (all workers' final rows) to `path`, sorted by key; returns how many.
pub(crate) fn write<K: CsvKey>(
    path: &Path,
    mut rows: Vec<(K, isize)>,
) -> Result<usize, ReferenceError> {
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    if let Some(pair) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(ReferenceError::Inconsistent {
            key: pair[0].0.fields().join(","),
            problem: format!("has two counts, {} and {}", pair[0].1, pair[1].1),
        });
    }
    let error = |source| ReferenceError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_path(path)
        .map_err(error)?;
    let mut count = String::new();
    for (key, n) in &rows {
        count.clear();
        let _ = write!(count, "{n}");
        let [a, b, c] = key.fields();
        out.write_record([a, b, c, count.as_str()]).map_err(error)?;
    }
    out.flush().map_err(|e| error(e.into()))?;
    Ok(rows.len())
}
