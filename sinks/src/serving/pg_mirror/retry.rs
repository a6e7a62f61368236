//! When to try PostgreSQL again. A database that is restarting, unreachable or out of connections
//! comes back; the mirror waits for it, holding the pipeline's progress back (the commit does not
//! return), so nothing is dropped. A statement PostgreSQL rejects for what it says is a bug, and
//! waiting would only hide it: it fails the commit at once.

use std::time::Duration;

/// The first wait after a failure.
const FIRST_WAIT: Duration = Duration::from_millis(100);
/// The longest wait between attempts.
const LONGEST_WAIT: Duration = Duration::from_secs(5);

/// Whether `error` is PostgreSQL being unavailable rather than refusing the statement.
pub(super) fn is_transient(error: &postgres::Error) -> bool {
    let Some(state) = error.code() else {
        // No SQLSTATE: the connection failed (refused, reset, closed, timed out: an I/O error or a
        // closed client), or the client refused a value itself (a bug: waiting will not mend it).
        let io = std::error::Error::source(error).is_some_and(|s| s.is::<std::io::Error>());
        return error.is_closed() || io;
    };
    // 08: connection exception; 57: operator intervention (shutdown, restart, cannot connect now);
    // 53: insufficient resources (too many connections, disk full); 40: transaction rollback
    // (serialization failure, deadlock).
    matches!(&state.code()[..2], "08" | "57" | "53" | "40")
}

/// Exponential backoff from [`FIRST_WAIT`] to [`LONGEST_WAIT`].
#[derive(Debug, Clone)]
pub(super) struct Backoff {
    next: Duration,
    /// Failed attempts since the last success.
    pub(super) failures: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            next: FIRST_WAIT,
            failures: 0,
        }
    }
}

impl Backoff {
    /// Sleeps before the next attempt.
    pub(super) fn wait(&mut self) {
        self.failures += 1;
        std::thread::sleep(self.next);
        self.next = (self.next * 2).min(LONGEST_WAIT);
    }

    /// Forgets past failures.
    pub(super) fn reset(&mut self) {
        *self = Backoff::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_longest() {
        let mut backoff = Backoff::default();
        let mut waits = Vec::new();
        for _ in 0..8 {
            waits.push(backoff.next);
            backoff.next = (backoff.next * 2).min(LONGEST_WAIT);
        }
        assert_eq!(waits[0], FIRST_WAIT);
        assert_eq!(waits[1], FIRST_WAIT * 2);
        assert_eq!(*waits.last().unwrap(), LONGEST_WAIT);
    }
}
