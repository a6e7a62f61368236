//! A lost peer as one clear error instead of a wall of panics or a hang.
//!
//! Timely has no recovery for a lost process: its receive thread panics with "timely
//! communication error: …" when a connection breaks, which poisons the queues of every local
//! worker, which then panic too ("MergeQueue poisoned."), and so on through the send threads and
//! the guard that joins them. That cascade is what stops the surviving processes, which is what we
//! want (a static cluster cannot go on without a member); what we do not want is a screenful of
//! panic messages and no word on what to do. So in cluster mode a panic hook recognises those
//! panics, keeps the first one's cause and which peer it concerned, and prints nothing for them;
//! the run then fails with [`crate::ingest_job::RunError::PeerLost`]. Any other panic of a worker
//! thread prints as usual and is recorded too, so the run stops waiting for a cluster that can no
//! longer finish.

use std::sync::{Mutex, Once};

/// What stopped the cluster, as seen by this process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A connection broke: `peer` is the other process (when the thread that saw it says).
    PeerLost {
        /// The other process's index.
        peer: Option<usize>,
        /// Timely's message.
        cause: String,
    },
    /// A local worker failed for another reason (its panic message was printed).
    Worker(String),
}

static INSTALL: Once = Once::new();
static FIRST: Mutex<Option<Failure>> = Mutex::new(None);

/// Panics that only follow from a lost connection.
const CONSEQUENCES: [&str; 5] = [
    "MergeQueue poisoned",
    "Send thread panic",
    "Recv thread panic",
    "Failed to receive MergeQueue",
    "failed to send MergeQueue",
];

/// Starts watching for a lost peer (installs the hook once per process) and forgets what an
/// earlier run of this process saw.
pub fn watch() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = payload_text(info.payload());
            let thread = std::thread::current()
                .name()
                .unwrap_or_default()
                .to_string();
            if message.contains("timely communication error") {
                record(Failure::PeerLost {
                    peer: peer_of(&thread),
                    cause: message,
                });
                return;
            }
            if CONSEQUENCES.iter().any(|c| message.contains(c)) {
                return;
            }
            if thread.starts_with("timely:") {
                record(Failure::Worker(message));
            }
            previous(info);
        }));
    });
    if let Ok(mut first) = FIRST.lock() {
        *first = None;
    }
}

/// The first failure seen since [`watch`], if any.
pub fn first() -> Option<Failure> {
    FIRST.lock().ok().and_then(|first| first.clone())
}

fn record(failure: Failure) {
    if let Ok(mut first) = FIRST.lock() {
        first.get_or_insert(failure);
    }
}

/// The peer a communication thread talks to: timely names them `timely:send-<process>` and
/// `timely:recv-<process>`.
fn peer_of(thread: &str) -> Option<usize> {
    thread
        .strip_prefix("timely:recv-")
        .or_else(|| thread.strip_prefix("timely:send-"))
        .and_then(|n| n.parse().ok())
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_connection_is_recorded_once_with_its_peer_and_its_consequences_are_not() {
        watch();
        let spawn = |name: &str, message: &'static str| {
            std::thread::Builder::new()
                .name(name.to_string())
                .spawn(move || panic!("{}", message))
                .unwrap()
                .join()
                .unwrap_err();
        };
        spawn("timely:work-0", "MergeQueue poisoned.");
        assert_eq!(first(), None);
        spawn(
            "timely:recv-1",
            "timely communication error: reading data: socket closed",
        );
        spawn("timely:recv-2", "timely communication error: later");
        assert_eq!(
            first(),
            Some(Failure::PeerLost {
                peer: Some(1),
                cause: "timely communication error: reading data: socket closed".into()
            })
        );
        watch();
        assert_eq!(first(), None);
        spawn("timely:work-0", "commit failed");
        assert_eq!(first(), Some(Failure::Worker("commit failed".into())));
    }
}
