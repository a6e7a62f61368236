//! One Kafka partition as a split: positions are offsets, reads never block.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer;
use rdkafka::message::Message;

use super::partitions::{Part, Shared};
use super::split_label;
use crate::source::{RecordFn, SourceError, Split};

/// A partition of an event topic, read through its worker's consumer.
pub struct KafkaSplit {
    key: (String, i32),
    label: String,
    shared: Rc<RefCell<Shared>>,
    idle_timeout: Duration,
}

impl KafkaSplit {
    pub(super) fn new(
        topic: String,
        partition: i32,
        shared: Rc<RefCell<Shared>>,
        idle_timeout: Duration,
    ) -> Self {
        KafkaSplit {
            label: split_label(&topic, partition),
            key: (topic, partition),
            shared,
            idle_timeout,
        }
    }
}

impl Split for KafkaSplit {
    fn id(&self) -> &str {
        &self.label
    }

    fn label(&self) -> &str {
        &self.label
    }

    fn seek(&mut self, position: u64) -> Result<(), SourceError> {
        let mut shared = self.shared.borrow_mut();
        if let Some(part) = shared.parts.get_mut(&self.key) {
            part.next = i64::try_from(position).unwrap_or(i64::MAX);
            part.stray.clear();
        }
        shared.stale = true;
        Ok(())
    }

    fn read(&mut self, max: usize, f: &mut RecordFn<'_>) -> Result<bool, SourceError> {
        let mut shared = self.shared.borrow_mut();
        shared.ensure_assigned();
        let Shared {
            consumer, parts, ..
        } = &mut *shared;
        let Some(part) = parts.get_mut(&self.key) else {
            return Ok(false);
        };
        let Part {
            next,
            end,
            queue,
            stray,
            last_record,
            ..
        } = part;
        let mut handed = 0;
        while handed < max && end.is_none_or(|end| *next < end) {
            // Records that reached the main queue first, then the partition's own queue.
            if let Some(message) = stray.pop_front() {
                handed += deliver(&message, next, f);
                continue;
            }
            let Some(queue) = queue.as_ref() else { break };
            match queue.poll(Duration::ZERO) {
                None => break,
                Some(Ok(message)) => handed += deliver(&message, next, f),
                Some(Err(e)) => {
                    consumer.context().failed(&format!("{}: {e}", self.label));
                    break;
                }
            }
        }
        if handed > 0 {
            *last_record = Instant::now();
            consumer.context().healthy();
        }
        Ok(end.is_none_or(|end| *next < end))
    }

    fn position(&self) -> u64 {
        let shared = self.shared.borrow();
        shared
            .parts
            .get(&self.key)
            .map(|p| u64::try_from(p.next).unwrap_or(0))
            .unwrap_or(0)
    }

    fn caught_up(&self) -> bool {
        // Read up to the end offset the partition had when it was opened: the backlog is read.
        self.shared
            .borrow()
            .parts
            .get(&self.key)
            .is_some_and(|p| p.next >= p.held)
    }

    fn lag(&self) -> Option<u64> {
        // The high watermark from the consumer's last statistics (once a second): no request.
        let shared = self.shared.borrow();
        let next = shared.parts.get(&self.key)?.next;
        let high = shared
            .consumer
            .context()
            .high_watermark(&self.key.0, self.key.1)?;
        Some(u64::try_from(high - next).unwrap_or(0))
    }

    fn idle(&self) -> bool {
        let shared = self.shared.borrow();
        shared
            .parts
            .get(&self.key)
            .is_some_and(|p| p.last_record.elapsed() >= self.idle_timeout)
    }
}

/// Hands `message` to `f` unless it lies below `next` (a repeat delivery from before a
/// reassignment); returns how many records were handed out.
fn deliver<M: Message>(message: &M, next: &mut i64, f: &mut RecordFn<'_>) -> usize {
    if message.offset() < *next {
        return 0;
    }
    *next = message.offset() + 1;
    let position = u64::try_from(message.offset()).unwrap_or(0);
    f(position, message.payload().unwrap_or(&[]), message.key());
    1
}
