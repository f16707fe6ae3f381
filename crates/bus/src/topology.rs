//! What the bus declares at start: a pure description, turned into broker calls by each backend.

/// The whole broker topology of a deployment. Declaring it twice is a no-op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// Topic exchanges, durable.
    pub exchanges: Vec<String>,
    /// The exchange that receives dead letters (direct, durable); `<queue>.dlq` is bound to it
    /// with the work queue's name as routing key.
    pub dead_letter_exchange: String,
    /// Work queues.
    pub queues: Vec<QueueSpec>,
}

/// One work queue and where its messages come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    /// Queue name; its dead-letter queue is `<name>.dlq`, its delay queue `<name>.retry`.
    pub name: String,
    /// `(exchange, binding pattern)` pairs (topic patterns: `*` one word, `#` zero or more).
    pub bindings: Vec<(String, String)>,
    /// Deliveries after which the broker itself dead-letters a message that keeps being
    /// redelivered without a settle (a handler that crashes the worker every time). Quorum
    /// queues count these in `x-delivery-count`.
    pub delivery_limit: u32,
}

impl QueueSpec {
    /// A queue with the default delivery limit.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            bindings: Vec::new(),
            delivery_limit: 20,
        }
    }

    /// Adds a binding.
    pub fn bind(mut self, exchange: impl Into<String>, pattern: impl Into<String>) -> Self {
        self.bindings.push((exchange.into(), pattern.into()));
        self
    }

    /// Name of the dead-letter queue.
    pub fn dlq_name(&self) -> String {
        dlq_name(&self.name)
    }

    /// Name of the delay queue used by retries.
    pub fn retry_name(&self) -> String {
        retry_name(&self.name)
    }
}

/// `<queue>.dlq`
pub fn dlq_name(queue: &str) -> String {
    format!("{queue}.dlq")
}

/// `<queue>.retry`
pub fn retry_name(queue: &str) -> String {
    format!("{queue}.retry")
}

/// Whether a topic `pattern` (`*` = one word, `#` = zero or more words) matches `key`.
pub fn topic_matches(pattern: &str, key: &str) -> bool {
    fn go(p: &[&str], k: &[&str]) -> bool {
        match (p.first(), k.first()) {
            (None, None) => true,
            (Some(&"#"), _) => go(&p[1..], k) || (!k.is_empty() && go(p, &k[1..])),
            (Some(&"*"), Some(_)) => go(&p[1..], &k[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &k[1..]),
            _ => false,
        }
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = if key.is_empty() {
        Vec::new()
    } else {
        key.split('.').collect()
    };
    go(&p, &k)
}

#[cfg(test)]
mod tests {
    use super::topic_matches;

    #[test]
    fn topic_patterns_follow_rabbitmq() {
        for (p, k, m) in [
            ("#", "a.b", true),
            ("#", "", true),
            ("a.*", "a.b", true),
            ("a.*", "a.b.c", false),
            ("a.#", "a", true),
            ("a.#", "a.b.c", true),
            ("*.b", "a.b", true),
            ("incident.opened", "incident.opened", true),
            ("incident.opened", "incident.merged", false),
            ("page.*", "page.delivered", true),
        ] {
            assert_eq!(topic_matches(p, k), m, "{p} vs {k}");
        }
    }
}
