//! The generator as a source: worker `w` of `W` generates blocks `w, w + W, w + 2W, ...`.
//!
//! Positions are global event indexes, so a checkpoint can resume in the middle of a block: the block
//! is generated again (it depends only on the seed and its number) and the records before the position
//! are skipped.

use super::{RecordFn, SourceError, Split};
use crate::generate::{Generator, GeneratorConfig};

/// The blocks of the generator that belong to one worker.
pub struct GeneratedSplit {
    id: String,
    label: String,
    generator: Generator,
    worker: u64,
    peers: u64,
    /// Global index of the next event to hand out.
    next: u64,
    block: Vec<u8>,
    /// Lines of the current block not yet handed out: (global index, byte range).
    pending: std::collections::VecDeque<(u64, std::ops::Range<usize>)>,
}

impl GeneratedSplit {
    /// The split of worker `worker` of `peers`.
    pub fn new(config: GeneratorConfig, worker: usize, peers: usize) -> Self {
        let label = format!("generate:seed={}", config.seed);
        let mut split = GeneratedSplit {
            id: format!("generate:{worker}/{peers}"),
            label,
            generator: Generator::new(config),
            worker: worker as u64,
            peers: peers.max(1) as u64,
            next: 0,
            block: Vec::new(),
            pending: Default::default(),
        };
        split.next = split.first_index_of_block(split.worker);
        split
    }

    fn first_index_of_block(&self, block: u64) -> u64 {
        (block * Generator::BLOCK).min(self.generator.config().events)
    }

    /// Generates the block holding `self.next` and queues its lines from `self.next` on.
    fn fill(&mut self) {
        let block = self.next / Generator::BLOCK;
        self.block.clear();
        self.generator.write_block(block, &mut self.block);
        let mut start = 0;
        let lines = memchr::memchr_iter(b'\n', &self.block);
        for (index, end) in (block * Generator::BLOCK..).zip(lines) {
            if index >= self.next {
                self.pending.push_back((index, start..end));
            }
            start = end + 1;
        }
    }
}

impl Split for GeneratedSplit {
    fn id(&self) -> &str {
        &self.id
    }

    fn label(&self) -> &str {
        &self.label
    }

    fn seek(&mut self, position: u64) -> Result<(), SourceError> {
        self.pending.clear();
        self.next = position;
        Ok(())
    }

    fn read(&mut self, max: usize, f: &mut RecordFn<'_>) -> Result<bool, SourceError> {
        let total = self.generator.config().events;
        for _ in 0..max {
            if self.pending.is_empty() {
                if self.next >= total {
                    return Ok(false);
                }
                if (self.next / Generator::BLOCK) % self.peers != self.worker {
                    // The next index belongs to another worker: jump to our next block.
                    let block = self.next / Generator::BLOCK;
                    let ours = block + (self.worker + self.peers - block % self.peers) % self.peers;
                    self.next = self.first_index_of_block(ours);
                    continue;
                }
                self.fill();
                if self.pending.is_empty() {
                    return Ok(false);
                }
            }
            let (index, range) = self.pending.pop_front().expect("filled above");
            self.next = index + 1;
            if self.next.is_multiple_of(Generator::BLOCK) {
                // Finished a block: continue at this worker's next one.
                let next_block = self.next / Generator::BLOCK + self.peers - 1;
                self.next = self.first_index_of_block(next_block);
            }
            f(index, &self.block[range], None);
        }
        Ok(self.next < total || !self.pending.is_empty())
    }

    fn position(&self) -> u64 {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(events: u64) -> GeneratorConfig {
        GeneratorConfig {
            events,
            ..GeneratorConfig::default()
        }
    }

    fn read_all(split: &mut GeneratedSplit) -> Vec<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        while split
            .read(1000, &mut |p, b, _| out.push((p, b.to_vec())))
            .unwrap()
        {}
        out
    }

    #[test]
    fn workers_together_read_every_event_once_and_resume_mid_block() {
        let events = 3 * Generator::BLOCK + 17;
        let mut whole = Vec::new();
        Generator::new(config(events))
            .write_all(&mut whole)
            .unwrap();
        let expected: Vec<&[u8]> = whole
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        for peers in [1, 2, 3] {
            let mut seen = Vec::new();
            for w in 0..peers {
                seen.extend(read_all(&mut GeneratedSplit::new(config(events), w, peers)));
            }
            seen.sort();
            assert_eq!(seen.len(), expected.len());
            for (i, (p, line)) in seen.iter().enumerate() {
                assert_eq!(*p, i as u64);
                assert_eq!(line.as_slice(), expected[i]);
            }
            let mut split = GeneratedSplit::new(config(events), peers - 1, peers);
            let all = read_all(&mut split);
            let middle = all.len() / 2;
            let mut again = GeneratedSplit::new(config(events), peers - 1, peers);
            again.seek(all[middle].0).unwrap();
            assert_eq!(read_all(&mut again), all[middle..].to_vec());
        }
    }
}
