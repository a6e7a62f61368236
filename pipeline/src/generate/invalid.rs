//! Deliberately malformed lines, in the varied ways real producers get things wrong, so that the
//! pipeline's dead-letter path (one reason code per failure) is exercised by every demo stream.

use super::block::{BlockWriter, push_user};
use super::communities::COMMUNITIES;
use super::json::{TsStyle, push_i64, push_ts, push_u64};

/// Lines that are valid JSON but not objects.
const NOT_OBJECTS: [&str; 4] = ["[1,2,3]", "\"view\"", "null", "42"];
/// Currencies that are not three upper-case letters.
const BAD_CURRENCIES: [&str; 4] = ["yuan", "rmb", "usd", "US$"];
/// Timestamps that are not RFC 3339 (or are far outside the sane range).
const BAD_TS: [&str; 5] = [
    "\"yesterday\"",
    "\"2026-02-30T10:00:00Z\"",
    "\"\"",
    "\"11/07/2026 20:15\"",
    "946684800",
];
/// Kinds the wire format does not know.
const UNKNOWN_KINDS: [&str; 3] = ["share", "poke", "VIEW"];

impl BlockWriter<'_> {
    /// A malformed line at event `i`.
    pub(crate) fn invalid(&mut self, i: u64) {
        let ts = self.time(i);
        let c = self.community();
        let m = self
            .rng
            .below(self.generator.population.communities[c].initial_members);
        match self.rng.below(10) {
            0 => {
                // A truncated view (views are ASCII, so any cut is on a character boundary).
                let start = self.out.len();
                self.view(i, ts, c, m);
                let len = self.out.len() - start;
                let keep = 1 + self.rng.below(len as u64 - 3) as usize;
                self.out.truncate(start + keep);
                self.out.push(b'\n');
            }
            1 => {
                self.out
                    .extend_from_slice(b"{\"v\":1,\"kind\":\"view\",\"ts\":");
                push_ts(self.out, ts, TsStyle::Utc);
                self.out.extend_from_slice(b",\"community_id\":\"");
                self.out.extend_from_slice(COMMUNITIES[c].slug.as_bytes());
                self.out.extend_from_slice(b"\",\"user_id\":\"");
                push_user(self.out, c, m);
                self.out
                    .extend_from_slice(b"\",\"item_id\":\"post-0-1\"}\n");
            }
            2 => self.like_with(i, ts, c, m, |w| {
                // Blank out the user id the header just wrote.
                let at = w.out.len() - 1;
                let open = w.out[..at].iter().rposition(|&b| b == b'"').unwrap_or(at);
                w.out.truncate(open + 1);
                w.out.push(b'"');
            }),
            3 => {
                let amount = -self.rng.between(1, 99_900);
                self.bad_payment(i, ts, c, m, amount, "CNY");
            }
            4 => {
                let currency = *self.rng.pick(&BAD_CURRENCIES);
                self.bad_payment(i, ts, c, m, 19_900, currency);
            }
            5 => {
                let bad = *self.rng.pick(&BAD_TS);
                self.header_with("view", i, c, m, 1, bad);
                self.out.extend_from_slice(b",\"item_id\":\"post-0-1\"}\n");
            }
            6 => {
                let kind = *self.rng.pick(&UNKNOWN_KINDS);
                self.header_with(kind, i, c, m, 1, "1793577600000");
                self.out.extend_from_slice(b",\"item_id\":\"post-0-1\"}\n");
            }
            7 => {
                self.out
                    .extend_from_slice(self.rng.pick(&NOT_OBJECTS).as_bytes());
                self.out.push(b'\n');
            }
            8 => {
                self.header_with("view", i, c, m, 1, "1793577600000");
                self.out
                    .extend_from_slice(b",\"item_id\":\"post-0-1\",\"dwell_ms\":\"5s\"}\n");
            }
            _ => {
                self.header_with("like", i, c, m, 2, "1793577600000");
                self.out.extend_from_slice(b",\"item_id\":\"post-0-1\"}\n");
            }
        }
    }

    /// A like whose header is altered by `alter` before the fields are written.
    fn like_with(&mut self, i: u64, ts: i64, c: usize, m: u64, alter: impl FnOnce(&mut Self)) {
        self.begin("like", i, ts, TsStyle::Epoch, c, m);
        alter(self);
        self.out.extend_from_slice(b",\"item_id\":\"post-0-1\"}\n");
    }

    /// A payment with the given (bad) amount and currency.
    fn bad_payment(&mut self, i: u64, ts: i64, c: usize, m: u64, amount: i64, currency: &str) {
        self.begin("payment", i, ts, TsStyle::Epoch, c, m);
        self.out.extend_from_slice(b",\"plan_id\":\"");
        self.out.extend_from_slice(COMMUNITIES[c].slug.as_bytes());
        self.out.extend_from_slice(b"-annual\",\"amount_minor\":");
        push_i64(self.out, amount);
        self.out.extend_from_slice(b",\"currency\":\"");
        self.out.extend_from_slice(currency.as_bytes());
        self.out
            .extend_from_slice(b"\",\"payment_kind\":\"subscription\"}\n");
    }

    /// A header with an arbitrary kind, version and raw `ts` value.
    fn header_with(&mut self, kind: &str, i: u64, c: usize, m: u64, v: u64, raw_ts: &str) {
        self.out.extend_from_slice(b"{\"v\":");
        push_u64(self.out, v);
        self.out.extend_from_slice(b",\"kind\":\"");
        self.out.extend_from_slice(kind.as_bytes());
        self.out.extend_from_slice(b"\",\"event_id\":\"g");
        push_u64(self.out, self.generator.config.seed);
        self.out.push(b'-');
        push_u64(self.out, i);
        self.out.extend_from_slice(b"\",\"ts\":");
        self.out.extend_from_slice(raw_ts.as_bytes());
        self.out.extend_from_slice(b",\"community_id\":\"");
        self.out.extend_from_slice(COMMUNITIES[c].slug.as_bytes());
        self.out.extend_from_slice(b"\",\"user_id\":\"");
        push_user(self.out, c, m);
        self.out.push(b'"');
    }
}
