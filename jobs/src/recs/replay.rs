//! Rebuilding the recommendation state after a restart: the lake holds every committed event, so
//! replaying its interaction tables through the dataflow gives back exactly the state the last
//! commit saw (the dataflow's results depend only on the set of facts, not on their order).

use std::path::Path;

use cohort_schemas::Kind;
use cohort_schemas::lake::events_from_batch;

use super::facts::{Fact, facts_of};
pub use crate::lake_replay::ReplayError;
use crate::lake_replay::{read_batches, table_files};

/// The event kinds whose facts the recommendation job uses.
const KINDS: [Kind; 6] = [
    Kind::View,
    Kind::Like,
    Kind::Payment,
    Kind::Chat,
    Kind::Item,
    Kind::Erasure,
];

/// The facts of worker `index` of `peers`: every published lake file of the interaction tables under
/// `lake_root`, shared out by file.
pub fn lake_facts(lake_root: &Path, index: usize, peers: usize) -> Result<Vec<Fact>, ReplayError> {
    let mut files = Vec::new();
    for kind in KINDS {
        files.extend(
            table_files(lake_root, kind.table(), None)?
                .into_iter()
                .map(|path| (kind, path)),
        );
    }
    files.sort();
    let mut facts = Vec::new();
    for (kind, path) in files.into_iter().skip(index).step_by(peers.max(1)) {
        read_batches(&path, |batch| {
            let events = events_from_batch(kind, batch).map_err(|e| e.to_string())?;
            facts.extend(events.iter().flat_map(facts_of));
            Ok(())
        })?;
    }
    Ok(facts)
}
