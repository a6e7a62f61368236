//! What flows from the sources to the sinks.

use cohort_schemas::Event;
use cohort_schemas::activity::ActivityOutput;
use cohort_schemas::lake::DeadLetter;
use cohort_schemas::moderation::{ChatScan, ModerationAlert};
use cohort_schemas::serving::ServingChange;

use crate::checkpoint::SplitState;

/// One item of the ingest stream.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Record {
    /// A valid, on-time event (at its event-time second).
    Event(Event),
    /// A record that was rejected or late (at its split's watermark second).
    Dead(DeadLetter),
    /// A split's resume state for a timely time boundary, emitted just before its worker's capability
    /// passes that boundary. Sinks forward it to the committer with their staged output.
    Progress(SplitState),
    /// A change of a derived serving table (at the time the change happened). Stages consolidate
    /// them; the committer applies them in the checkpoint's transaction.
    Serving(ServingChange),
    /// A closed hour, forecast or alert of the forecast job (at the time its hour closed). The
    /// lake gets every one; the serving tables keep the newest forecast of each series and state of
    /// each alert, judged by their content (records of one timestamp arrive in no fixed order).
    Activity(ActivityOutput),
    /// What the moderation job kept of a chat message (at the message's time, from the worker that
    /// read it, so it is committed with the message). Only the lake holds it.
    ChatScan(ChatScan),
    /// A state of a moderation alert (at the time its owner took what changed it). The lake gets
    /// every one; the serving table keeps each alert's newest, judged by its content.
    Moderation(ModerationAlert),
    /// Which raw member id a stored pseudonym stands for (at the time of the first event of the
    /// member the worker saw), when the serving tables keep raw ids (`serving.raw_member_ids`).
    /// Only the serving database holds it: the lake never gets a raw id.
    MemberId {
        /// The id as stored (the pseudonym).
        stored: String,
        /// The id as it arrived.
        raw: String,
    },
}
