//! The recommendation dataflow driven in-process, step by step: for evaluation and tests, and the
//! batch recompute (`final_rows`) that tests compare the incremental job against.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use cohort_schemas::serving::ServingRow;
use differential_dataflow::input::{Input, InputSession};
use timely::communication::Allocator;
use timely::communication::allocator::thread::Thread;
use timely::dataflow::ProbeHandle;
use timely::worker::{Config as WorkerConfig, Worker};

use super::config::RecsConfig;
use super::dataflow::recommend;
use super::facts::Fact;

/// A member's list: (rank, item, score in millionths), in rank order.
type List = BTreeSet<(u32, String, i64)>;

/// The current rows, and an index of recommendation lists by member (and trending lists by
/// community) for quick lookups.
#[derive(Default)]
struct Current {
    /// Hashed, not ordered: a step can change millions of rows, and ordered lookups compare
    /// strings at every level.
    counts: HashMap<ServingRow, isize>,
    lists: HashMap<(String, String), List>,
    trending: HashMap<String, List>,
}

impl Current {
    fn apply(&mut self, row: &ServingRow, diff: isize) {
        match self.counts.get_mut(row) {
            Some(count) => {
                *count += diff;
                if *count == 0 {
                    self.counts.remove(row);
                }
            }
            None => {
                self.counts.insert(row.clone(), diff);
            }
        }
        let list = match row {
            ServingRow::Recommendation {
                community_id,
                user_id,
                ..
            } => self
                .lists
                .entry((community_id.clone(), user_id.clone()))
                .or_default(),
            ServingRow::Trending { community_id, .. } => {
                self.trending.entry(community_id.clone()).or_default()
            }
            ServingRow::SimilarItem { .. } => return,
        };
        let parts = row.parts();
        let entry = (parts.rank, parts.item.to_string(), parts.score_micros);
        if diff > 0 {
            list.insert(entry);
        } else {
            list.remove(&entry);
        }
    }
}

/// A single-worker recommendation dataflow held open between steps.
pub struct RecsSession {
    worker: Worker,
    input: InputSession<u64, Fact, isize>,
    probe: ProbeHandle<u64>,
    current: Rc<RefCell<Current>>,
    time: u64,
}

impl RecsSession {
    /// A session with nothing applied yet.
    pub fn new(config: RecsConfig) -> Self {
        let mut worker = Worker::new(
            WorkerConfig::default(),
            Allocator::Thread(Thread::default()),
            Some(std::time::Instant::now()),
        );
        let current = Rc::new(RefCell::new(Current::default()));
        let sink = Rc::clone(&current);
        let probe = ProbeHandle::new();
        let handle = probe.clone();
        let input = worker.dataflow::<u64, _, _>(move |scope| {
            let (input, facts) = scope.new_collection();
            recommend(facts, &config)
                .inspect(move |(row, _, diff)| sink.borrow_mut().apply(row, *diff))
                .probe_with(&handle);
            input
        });
        RecsSession {
            worker,
            input,
            probe,
            current,
            time: 0,
        }
    }

    /// Applies `facts` as one step and runs the dataflow until every result of the step is out.
    pub fn apply(&mut self, facts: Vec<Fact>) {
        self.apply_at(self.time + 1, facts);
    }

    /// Applies `facts` as one step at dataflow time `seconds` (event-time seconds, as `cohort run`
    /// uses; later than every earlier step) and runs the dataflow up to it: a retention window
    /// takes effect as this time passes.
    pub fn apply_at(&mut self, seconds: u64, facts: Vec<Fact>) {
        for fact in facts {
            self.input.insert(fact);
        }
        self.time = seconds.max(self.time + 1);
        self.input.advance_to(self.time);
        self.input.flush();
        let (worker, probe, time) = (&mut self.worker, &self.probe, self.time);
        worker.step_while(|| probe.less_than(&time));
    }

    /// A member's current recommendations, in rank order: (item, score in millionths).
    pub fn recommendations(&self, community_id: &str, user_id: &str) -> Vec<(String, i64)> {
        let current = self.current.borrow();
        items(
            current
                .lists
                .get(&(community_id.to_string(), user_id.to_string())),
        )
    }

    /// The community's current trending items, in rank order: what a backend shows a member that
    /// has no list (yet).
    pub fn trending(&self, community_id: &str) -> Vec<(String, i64)> {
        items(self.current.borrow().trending.get(community_id))
    }

    /// Every current row of the derived tables, in order.
    pub fn rows(&self) -> Vec<ServingRow> {
        let mut rows = rows_of(self.current.borrow().counts.iter());
        rows.sort();
        rows
    }
}

/// A list's (item, score) in rank order.
fn items(list: Option<&List>) -> Vec<(String, i64)> {
    list.map(|list| {
        list.iter()
            .map(|(_, item, score)| (item.clone(), *score))
            .collect()
    })
    .unwrap_or_default()
}

/// The rows present (count > 0) in a consolidated map, each once.
fn rows_of<'a>(counts: impl IntoIterator<Item = (&'a ServingRow, &'a isize)>) -> Vec<ServingRow> {
    counts
        .into_iter()
        .filter(|(_, n)| **n > 0)
        .map(|(row, _)| row.clone())
        .collect()
}

/// The derived tables after applying every fact at once, with `workers` timely workers.
pub fn final_rows(config: &RecsConfig, facts: Vec<Fact>, workers: usize) -> Vec<ServingRow> {
    let facts = Arc::new(facts);
    let out: Arc<Mutex<BTreeMap<ServingRow, isize>>> = Arc::default();
    let sink = Arc::clone(&out);
    let config = config.clone();
    let run = timely::execute(timely::Config::process(workers.max(1)), move |worker| {
        let (index, peers) = (worker.index(), worker.peers());
        let sink = Arc::clone(&sink);
        let mut input = worker.dataflow::<u64, _, _>(|scope| {
            let (input, facts) = scope.new_collection();
            recommend(facts, &config).inspect(move |(row, _, diff)| {
                if let Ok(mut counts) = sink.lock() {
                    *counts.entry(row.clone()).or_insert(0) += diff;
                }
            });
            input
        });
        for fact in facts.iter().skip(index).step_by(peers) {
            input.insert(fact.clone());
        }
    });
    if let Err(e) = run.map(drop) {
        panic!("the batch recommendation dataflow failed: {e}");
    }
    out.lock().map(|c| rows_of(c.iter())).unwrap_or_default()
}
