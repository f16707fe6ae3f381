//! Percentiles and the process's memory.

/// Order statistics of a sample, in the sample's unit.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Sample size.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

impl Summary {
    /// Nearest-rank percentiles of `values` (all zero when empty).
    pub fn of(mut values: Vec<f64>) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        values.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let r = (p / 100.0 * values.len() as f64).ceil() as usize;
            values[r.clamp(1, values.len()) - 1]
        };
        Self {
            count: values.len(),
            p50: rank(50.0),
            p99: rank(99.0),
            max: values[values.len() - 1],
        }
    }
}

/// Resident memory of this process now and at its peak (`VmRSS`, `VmHWM`), in MiB.
pub fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[cfg(test)]
mod tests {
    use super::Summary;

    #[test]
    fn nearest_rank() {
        let s = Summary::of((1..=100).map(f64::from).collect());
        assert_eq!((s.p50, s.p99, s.max), (50.0, 99.0, 100.0));
        assert_eq!(Summary::of(vec![]).count, 0);
    }
}
