//! The closed vocabularies inside payloads.

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in wire order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The value with this wire name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($wire => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

vocabulary! {
    /// What a payment was for.
    PaymentKind {
        /// A one-off purchase of an item.
        Purchase => "purchase",
        /// The first payment of a subscription.
        Subscription => "subscription",
        /// A recurring subscription payment.
        Renewal => "renewal",
        /// Money returned; retracts the purchase.
        Refund => "refund",
    }
}

vocabulary! {
    /// What sort of item was published.
    ItemKind {
        /// A post.
        Post => "post",
        /// A course.
        Course => "course",
        /// A lesson of a course.
        Lesson => "lesson",
        /// A live session.
        Live => "live",
        /// An offline event.
        Event => "event",
    }
}

vocabulary! {
    /// A membership change.
    MemberAction {
        /// The member joined.
        Join => "join",
        /// The member left.
        Leave => "leave",
        /// The member's role or tier changed.
        Role => "role",
    }
}
