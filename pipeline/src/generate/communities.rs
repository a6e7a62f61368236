//! The four simulated communities: fixed, readable descriptions that everything else derives from.

/// A topic: the tag cluster that drives members' tastes and items' titles.
#[derive(Debug)]
pub(crate) struct Topic {
    /// The tag written on items.
    pub(crate) tag: &'static str,
    /// Its name in Chinese titles and messages.
    pub(crate) zh: &'static str,
    /// Its name in English titles and messages.
    pub(crate) en: &'static str,
}

/// One community's fixed description.
#[derive(Debug)]
pub(crate) struct Spec {
    /// The `community_id`.
    pub(crate) slug: &'static str,
    /// Share of the regular traffic.
    pub(crate) traffic: f64,
    /// Initial members at a million events (scaled with the stream size).
    pub(crate) members: u64,
    /// Initial catalogue items at a million events (scaled likewise).
    pub(crate) items: u64,
    /// Weights of the item kinds post, course, lesson, live, event.
    pub(crate) kinds: [u32; 5],
    /// Tag clusters; members prefer one or two of them.
    pub(crate) topics: &'static [Topic],
    /// Chat channels, most used first.
    pub(crate) channels: &'static [&'static str],
    /// Subscription plans: id suffix and yearly or monthly price in fen.
    pub(crate) plans: &'static [(&'static str, i64)],
    /// Share of payments made in USD rather than CNY.
    pub(crate) usd_share: f64,
    /// Cities of offline meetups.
    pub(crate) cities: &'static [&'static str],
}

/// Shorthand for a topic literal.
const fn t(tag: &'static str, zh: &'static str, en: &'static str) -> Topic {
    Topic { tag, zh, en }
}

/// The communities, in index order (`u<index>-<n>` user ids refer to this order).
pub(crate) static COMMUNITIES: [Spec; 4] = [
    Spec {
        slug: "rust-circle",
        traffic: 0.40,
        members: 7000,
        items: 420,
        kinds: [70, 8, 12, 6, 4],
        topics: &[
            t("async", "异步编程", "Async Rust"),
            t("ownership", "所有权与生命周期", "Ownership and Lifetimes"),
            t("wasm", "WebAssembly", "WebAssembly"),
            t("embedded", "嵌入式开发", "Embedded Rust"),
            t("performance", "性能优化", "Performance Tuning"),
            t("interview", "面试求职", "Job Interviews"),
            t("databases", "数据库内核", "Database Internals"),
        ],
        channels: &[
            "general", "help", "jobs", "random", "公告", "async", "showcase",
        ],
        plans: &[("annual", 19900), ("monthly", 2900), ("vip-annual", 59900)],
        usd_share: 0.06,
        cities: &["北京·海淀", "上海·徐汇", "深圳·南山", "杭州·西湖"],
    },
    Spec {
        slug: "course-hub",
        traffic: 0.30,
        members: 5000,
        items: 560,
        kinds: [20, 30, 40, 8, 2],
        topics: &[
            t("python", "Python 数据分析", "Python for Data"),
            t("ml", "机器学习", "Machine Learning"),
            t("frontend", "前端工程化", "Frontend Engineering"),
            t("product", "产品经理", "Product Management"),
            t("english", "职场英语", "Business English"),
            t("excel", "Excel 高效办公", "Excel Power Skills"),
        ],
        channels: &["general", "homework", "study-group", "答疑", "公告"],
        plans: &[("annual", 29900), ("monthly", 4900)],
        usd_share: 0.10,
        cities: &["上海·静安", "广州·天河", "成都·高新"],
    },
    Spec {
        slug: "creator-club",
        traffic: 0.20,
        members: 3000,
        items: 260,
        kinds: [60, 5, 5, 25, 5],
        topics: &[
            t("vlog", "Vlog 拍摄", "Vlogging"),
            t("editing", "剪辑技巧", "Video Editing"),
            t("growth", "涨粉运营", "Audience Growth"),
            t("monetize", "变现思路", "Monetization"),
            t("gear", "器材分享", "Gear Talk"),
        ],
        channels: &["lounge", "behind-the-scenes", "random", "公告"],
        plans: &[("monthly", 1990), ("annual", 16800)],
        usd_share: 0.15,
        cities: &["北京·朝阳", "上海·长宁"],
    },
    Spec {
        slug: "design-guild",
        traffic: 0.10,
        members: 1000,
        items: 130,
        kinds: [55, 10, 10, 10, 15],
        topics: &[
            t("ui", "界面设计", "UI Design"),
            t("typography", "字体排印", "Typography"),
            t("figma", "Figma 技巧", "Figma Tips"),
            t("branding", "品牌设计", "Branding"),
        ],
        channels: &["general", "critique", "jobs", "inspiration"],
        plans: &[("annual", 9900), ("monthly", 1500)],
        usd_share: 0.40,
        cities: &["上海·黄浦", "Online"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_are_usable() {
        let traffic: f64 = COMMUNITIES.iter().map(|s| s.traffic).sum();
        assert!((traffic - 1.0).abs() < 1e-9);
        for s in &COMMUNITIES {
            assert!(s.topics.len() >= 2 && !s.channels.is_empty() && !s.plans.is_empty());
            assert!(!s.cities.is_empty() && s.kinds.iter().sum::<u32>() > 0);
        }
    }
}
