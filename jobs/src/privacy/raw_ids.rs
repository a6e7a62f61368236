//! Pseudonymising the ingest stream, and remembering raw ids for the serving tables when asked
//! (`serving.raw_member_ids`): the first event of each member a worker sees also yields a
//! `Record::MemberId` (pseudonym → raw id), which only the serving database stores. The raw id is
//! read here, the one place it exists after ingest, so nothing downstream ever carries it.

use std::collections::HashSet;
use std::sync::Arc;

use cohort_pipeline::Record;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::vec::Map;

use super::Pseudonymizer;

/// `records` with member ids pseudonymised by `pseudonyms`; with `keep_raw`, also a
/// `Record::MemberId` (at the event's time) for each member this worker sees first.
pub fn pseudonymize<'s>(
    records: Stream<'s, u64, Vec<Record>>,
    pseudonyms: Arc<Pseudonymizer>,
    keep_raw: bool,
) -> Stream<'s, u64, Vec<Record>> {
    if !keep_raw {
        return records.map_in_place(move |record| pseudonyms.apply(record));
    }
    records.unary::<CapacityContainerBuilder<Vec<Record>>, _, _, _>(
        Pipeline,
        "PseudonymizeKeepingRawIds",
        move |_, _| {
            // Members this worker has told the committer about in this run; a restart tells again,
            // and the serving table keeps the first.
            let mut seen: HashSet<String> = HashSet::new();
            move |input, output| {
                input.for_each(|cap, data| {
                    let mut session = output.session(&cap);
                    for mut record in data.drain(..) {
                        let raw = match &record {
                            Record::Event(e) => Some(e.user_id.clone()),
                            _ => None,
                        };
                        pseudonyms.apply(&mut record);
                        if let (Some(raw), Record::Event(e)) = (raw, &record)
                            && seen.insert(e.user_id.clone())
                        {
                            session.give(Record::MemberId {
                                stored: e.user_id.clone(),
                                raw,
                            });
                        }
                        session.give(record);
                    }
                });
            }
        },
    )
}
