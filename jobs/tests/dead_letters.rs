//! Bad input never stops the pipeline and is never lost: random bytes and broken events among valid
//! ones all land in `dead_letters` with a reason and their raw bytes, while every valid event lands in
//! its table.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use cohort_jobs::config;
use cohort_jobs::ingest_job;
use cohort_jobs::query::query;
use cohort_pipeline::SourceSpec;
use cohort_pipeline::generate::{Generator, GeneratorConfig};
use datafusion::arrow::array::{Array, BinaryArray, StringArray};
use proptest::prelude::*;

fn valid_lines(n: u64, seed: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    Generator::new(GeneratorConfig {
        events: n,
        seed,
        invalid_rate: 0.0,
        late_rate: 0.0,
        ..GeneratorConfig::default()
    })
    .write_all(&mut out)
    .unwrap();
    out.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Ways to break a valid line so that it must become a dead letter.
#[derive(Debug, Clone)]
enum Break {
    Garbage(Vec<u8>),
    Truncate(f64),
    RenameEventId,
    EmptyUser,
    UnknownKind,
}

impl Break {
    fn apply(&self, line: &[u8]) -> Vec<u8> {
        let text = String::from_utf8_lossy(line);
        match self {
            Break::Garbage(bytes) => std::iter::once(b'#')
                .chain(
                    bytes
                        .iter()
                        .map(|c| if matches!(c, b'\n' | b'\r') { b'#' } else { *c }),
                )
                .collect(),
            Break::Truncate(cut) => line[..(line.len() as f64 * cut) as usize + 1].to_vec(),
            Break::RenameEventId => text
                .replacen("\"event_id\"", "\"event_idx\"", 1)
                .into_bytes(),
            Break::EmptyUser => text
                .replacen("\"user_id\":\"", "\"user_id\":\"\",\"x\":\"", 1)
                .into_bytes(),
            Break::UnknownKind => text
                .replacen("\"kind\":\"", "\"kind\":\"zz", 1)
                .into_bytes(),
        }
    }
}

fn breakage() -> impl Strategy<Value = Break> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..200).prop_map(Break::Garbage),
        (0.0f64..0.95).prop_map(Break::Truncate),
        Just(Break::RenameEventId),
        Just(Break::EmptyUser),
        Just(Break::UnknownKind),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn broken_records_land_in_dead_letters_with_reason_and_raw_bytes(
        seed in 0u64..1000,
        breaks in proptest::collection::vec((any::<prop::sample::Index>(), breakage()), 1..30),
    ) {
        let mut lines = valid_lines(3000, seed);
        let mut broken = BTreeMap::new();
        for (at, f) in &breaks {
            let i = at.index(lines.len());
            if broken.contains_key(&i) { continue; }
            let b = f.apply(&lines[i]);
            broken.insert(i, b.clone());
            lines[i] = b;
        }
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.jsonl");
        std::fs::write(&input, lines.join(&b'\n')).unwrap();
        let mut config = config::load(None, Vec::new()).unwrap();
        config.source = SourceSpec::File { path: input };
        config.output.data_dir = dir.path().join("data");
        config.runtime.workers = 2;
        let report = ingest_job::run(&config, &Default::default(), |_| {}).unwrap();
        let events: u64 = cohort_schemas::Kind::ALL.iter().map(|k| report.metrics.events(*k)).sum();
        prop_assert_eq!(events as usize, lines.len() - broken.len());

        let rt = tokio::runtime::Runtime::new().unwrap();
        let batches = rt.block_on(query(&config.output.data_dir, "SELECT reason, detail, raw FROM dead_letters")).unwrap();
        let mut raws = Vec::new();
        for b in &batches {
            let reason = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
            let detail = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
            let raw = b.column(2).as_any().downcast_ref::<BinaryArray>().unwrap();
            for i in 0..b.num_rows() {
                prop_assert!(cohort_schemas::Reason::from_code(reason.value(i)).is_some());
                prop_assert!(!detail.value(i).is_empty());
                raws.push(raw.value(i).to_vec());
            }
        }
        raws.sort();
        let mut expected: Vec<Vec<u8>> = broken.into_values().collect();
        expected.sort();
        prop_assert_eq!(raws, expected);
    }
}
