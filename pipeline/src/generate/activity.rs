//! Member activity other than chat: views, likes (and undos), payments (with card-testing and refund
//! bursts) and meetup check-ins.

use super::block::{BlockWriter, Burst};
use super::catalogue::{ItemInfo, discounted, item_info, push_item_id};
use super::communities::COMMUNITIES;
use super::json::{MS_PER_DAY, civil_from_days, push_str, push_u64};

/// Where views come from, with weights in percent.
const SURFACES: [(&str, u32); 6] = [
    ("feed", 45),
    ("recommend", 20),
    ("search", 15),
    ("push", 10),
    ("profile", 5),
    ("chat", 5),
];
/// Typical dwell per item kind (post, course, lesson, live, event), in ms.
const DWELL_MS: [f64; 5] = [25_000.0, 240_000.0, 420_000.0, 900_000.0, 30_000.0];

impl BlockWriter<'_> {
    /// A member opens an item.
    pub(crate) fn view(&mut self, i: u64, ts: i64, c: usize, m: u64) {
        let g = self.generator;
        let j = g.population.pick_item(&mut self.rng, c, m, i);
        let info = item_info(g.config.seed, c, j);
        let style = self.style(false);
        self.begin("view", i, ts, style, c, m);
        self.push_item(c, j, &info);
        if self.rng.chance(0.93) {
            let dwell = DWELL_MS[info.kind] * (0.8 * self.rng.gauss()).exp();
            self.out.extend_from_slice(b",\"dwell_ms\":");
            push_u64(self.out, dwell as u64);
        }
        if self.rng.chance(0.96) {
            let mut x = self.rng.below(100) as u32;
            let mut surface = SURFACES[0].0;
            for (name, w) in SURFACES {
                if x < w {
                    surface = name;
                    break;
                }
                x -= w;
            }
            self.out.extend_from_slice(b",\"surface\":\"");
            self.out.extend_from_slice(surface.as_bytes());
            self.out.push(b'"');
        }
        self.end();
    }

    /// A member likes an item, or (one time in ten) takes back a like made earlier in the block.
    pub(crate) fn like(&mut self, i: u64, ts: i64, c: usize, m: u64) {
        let g = self.generator;
        let undo = if self.rng.chance(0.1) {
            self.likes[c].sample(&mut self.rng, true)
        } else {
            None
        };
        let (user, j) = match undo {
            Some(liked) => liked,
            None => {
                let j = g.population.pick_item(&mut self.rng, c, m, i);
                self.likes[c].push((m, j));
                (m, j)
            }
        };
        let info = item_info(g.config.seed, c, j);
        let style = self.style(false);
        self.begin("like", i, ts, style, c, user);
        self.push_item(c, j, &info);
        if undo.is_some() {
            self.out.extend_from_slice(b",\"undo\":true");
        } else if self.rng.chance(0.1) {
            self.out.extend_from_slice(b",\"undo\":false");
        }
        self.end();
    }

    /// A purchase, subscription, renewal or refund; occasionally starts a suspicious burst.
    pub(crate) fn payment(&mut self, i: u64, ts: i64, c: usize, m: u64) {
        if self.burst.is_none() {
            let tester = if self.rng.chance(0.001) {
                Some(Some(self.generator.population.pick_newcomer(
                    &mut self.rng,
                    c,
                    i,
                )))
            } else if self.rng.chance(0.001) {
                Some(None)
            } else {
                None
            };
            if let Some(tester) = tester
                && let Some((item, _)) = self.priced_item(c, m, i)
            {
                let remaining = self.rng.between(8, 40) as u32;
                self.burst = Some(Burst {
                    remaining,
                    community: c,
                    item,
                    tester,
                });
            }
        }
        let u = self.rng.unit();
        let kind = if u < 0.5 {
            "purchase"
        } else if u < 0.72 {
            "subscription"
        } else if u < 0.9 {
            "renewal"
        } else {
            "refund"
        };
        let item = if matches!(kind, "purchase" | "refund") {
            self.priced_item(c, m, i)
        } else {
            None
        };
        let spec = &COMMUNITIES[c];
        let usd = self.rng.chance(spec.usd_share);
        self.begin("payment", i, ts, super::json::TsStyle::Epoch, c, m);
        let amount = match item {
            Some((j, info)) => {
                self.push_item(c, j, &info);
                let price = info.price.unwrap_or(0);
                if kind == "purchase" && self.rng.chance(0.15) {
                    discounted(price)
                } else {
                    price
                }
            }
            None => {
                let (plan, price) =
                    spec.plans[self.rng.skewed(spec.plans.len() as u64, 1.5) as usize];
                self.out.extend_from_slice(b",\"plan_id\":\"");
                self.out.extend_from_slice(spec.slug.as_bytes());
                self.out.push(b'-');
                self.out.extend_from_slice(plan.as_bytes());
                self.out.push(b'"');
                price
            }
        };
        let kind = if item.is_none() && kind == "purchase" {
            "subscription"
        } else {
            kind
        };
        self.push_money(
            if usd { to_usd(amount) } else { amount },
            if usd { "USD" } else { "CNY" },
            kind,
        );
        self.end();
    }

    /// The next payment of the burst in progress.
    pub(crate) fn burst_payment(&mut self, i: u64, ts: i64) {
        let Some(mut burst) = self.burst else { return };
        burst.remaining -= 1;
        self.burst = (burst.remaining > 0).then_some(burst);
        let c = burst.community;
        let info = item_info(self.generator.config.seed, c, burst.item);
        let (user, amount, currency, kind) = match burst.tester {
            Some(tester) => {
                let currency = if self.rng.chance(0.6) { "USD" } else { "CNY" };
                (tester, self.rng.between(1, 300), currency, "purchase")
            }
            None => {
                let m = self.generator.population.pick_member(&mut self.rng, c, i);
                (m, info.price.unwrap_or(0), "CNY", "refund")
            }
        };
        self.begin("payment", i, ts, super::json::TsStyle::Epoch, c, user);
        self.push_item(c, burst.item, &info);
        self.push_money(amount, currency, kind);
        self.end();
    }

    /// A member checks in at one of the day's meetups (`meetup-<community>-<yyyymmdd>-<n>`).
    pub(crate) fn checkin(&mut self, i: u64, ts: i64, c: usize, m: u64) {
        let spec = &COMMUNITIES[c];
        let local_day = (ts + 8 * 3_600_000).div_euclid(MS_PER_DAY);
        let (y, mo, d) = civil_from_days(local_day);
        let k = self.rng.below(spec.cities.len().min(2) as u64);
        let city =
            spec.cities[((local_day as u64).wrapping_add(k) % spec.cities.len() as u64) as usize];
        self.begin("checkin", i, ts, super::json::TsStyle::Epoch, c, m);
        self.out
            .extend_from_slice(b",\"event_id_offline\":\"meetup-");
        self.out.extend_from_slice(spec.slug.as_bytes());
        self.out.push(b'-');
        push_u64(self.out, (y * 10_000 + mo * 100 + d) as u64);
        self.out.push(b'-');
        push_u64(self.out, k);
        self.out.push(b'"');
        if self.rng.chance(0.85) {
            self.out.extend_from_slice(b",\"location\":");
            push_str(self.out, city);
        }
        self.end();
    }

    /// A priced item of `c` that member `m` might buy, if one turns up in a few draws.
    fn priced_item(&mut self, c: usize, m: u64, i: u64) -> Option<(u64, ItemInfo)> {
        let g = self.generator;
        (0..6).find_map(|_| {
            let j = g.population.pick_item(&mut self.rng, c, m, i);
            let info = item_info(g.config.seed, c, j);
            info.price.map(|_| (j, info))
        })
    }

    /// Appends `"item_id":"…"`.
    pub(crate) fn push_item(&mut self, c: usize, j: u64, info: &ItemInfo) {
        self.out.extend_from_slice(b",\"item_id\":\"");
        push_item_id(self.out, c, j, info);
        self.out.push(b'"');
    }

    /// Appends the amount, currency and payment kind.
    fn push_money(&mut self, amount: i64, currency: &str, kind: &str) {
        self.out.extend_from_slice(b",\"amount_minor\":");
        push_u64(self.out, amount.max(0) as u64);
        self.out.extend_from_slice(b",\"currency\":\"");
        self.out.extend_from_slice(currency.as_bytes());
        self.out.extend_from_slice(b"\",\"payment_kind\":\"");
        self.out.extend_from_slice(kind.as_bytes());
        self.out.push(b'"');
    }
}

/// A CNY price in fen as a USD price in cents, rounded to a .99 ending.
fn to_usd(fen: i64) -> i64 {
    let cents = fen * 100 / 720;
    if cents < 100 {
        cents.max(1)
    } else {
        cents / 100 * 100 + 99
    }
}
