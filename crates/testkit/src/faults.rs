//! Fault injection: rules matched by method and path, firing for a seeded share of the
//! matching requests, optionally a limited number of times, with one effect each (an error
//! `Status`, a dropped connection, added latency, or a server-side apply conflict).

use crate::util::XorShift;
use std::time::Duration;

/// The fault rules of one server, with the seed of their dice.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Seed for the share dice (same seed, same requests hit).
    pub seed: u64,
    /// Rules, checked in order; the first that fires wins.
    pub rules: Vec<FaultRule>,
}

/// One rule: which requests, how many of them, and what happens.
#[derive(Debug, Clone)]
pub struct FaultRule {
    /// HTTP method to match (`PATCH`), any when None.
    pub method: Option<String>,
    /// Substring of the path to match, any when None.
    pub path_contains: Option<String>,
    /// Share of matching requests that fail, 0.0..=1.0.
    pub share: f64,
    /// What happens to them.
    pub effect: FaultEffect,
    /// Stop after this many hits.
    pub remaining: Option<usize>,
}

impl FaultRule {
    /// A rule hitting every matching request, with no limit.
    pub fn always(
        method: Option<&str>,
        path_contains: Option<&str>,
        effect: FaultEffect,
    ) -> FaultRule {
        FaultRule {
            method: method.map(str::to_string),
            path_contains: path_contains.map(str::to_string),
            share: 1.0,
            effect,
            remaining: None,
        }
    }
}

/// What a firing rule does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultEffect {
    /// Answer with this code and a real `Status` body (429 carries `Retry-After: 1`).
    Status(u16),
    /// Close the connection without a response.
    Drop,
    /// Wait this long, then handle the request normally.
    Delay(Duration),
    /// A 409 server-side apply conflict naming this manager.
    Conflict {
        /// The manager named in the conflict.
        manager: String,
    },
}

/// Rules plus their dice and hit counters.
#[derive(Debug, Clone)]
pub(crate) struct FaultState {
    rules: Vec<FaultRule>,
    rng: XorShift,
}

impl FaultState {
    pub(crate) fn new(faults: Faults) -> FaultState {
        FaultState {
            rng: XorShift::new(faults.seed),
            rules: faults.rules,
        }
    }

    /// The effect for this request, if a rule fires.
    pub(crate) fn pick(&mut self, method: &str, path: &str) -> Option<FaultEffect> {
        for rule in self.rules.iter_mut() {
            if rule
                .method
                .as_deref()
                .is_some_and(|m| !m.eq_ignore_ascii_case(method))
            {
                continue;
            }
            if rule
                .path_contains
                .as_deref()
                .is_some_and(|p| !path.contains(p))
            {
                continue;
            }
            if rule.remaining == Some(0) {
                continue;
            }
            if rule.share < 1.0 && self.rng.next_f64() >= rule.share {
                continue;
            }
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
            return Some(rule.effect.clone());
        }
        None
    }
}

/// The `reason` the real server uses for a status code.
pub(crate) fn reason_for(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Expired",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_and_count_down() {
        let mut f = FaultState::new(Faults {
            seed: 1,
            rules: vec![FaultRule {
                remaining: Some(2),
                ..FaultRule::always(Some("PATCH"), Some("/services/"), FaultEffect::Status(500))
            }],
        });
        assert_eq!(f.pick("GET", "/api/v1/namespaces/a/services/x"), None);
        assert_eq!(f.pick("PATCH", "/api/v1/namespaces/a/secrets/x"), None);
        assert_eq!(
            f.pick("PATCH", "/api/v1/namespaces/a/services/x"),
            Some(FaultEffect::Status(500))
        );
        assert_eq!(
            f.pick("patch", "/api/v1/namespaces/a/services/x"),
            Some(FaultEffect::Status(500))
        );
        assert_eq!(f.pick("PATCH", "/api/v1/namespaces/a/services/x"), None);
    }

    #[test]
    fn shares_are_seeded() {
        let run = |seed| {
            let mut f = FaultState::new(Faults {
                seed,
                rules: vec![FaultRule {
                    share: 0.5,
                    ..FaultRule::always(None, None, FaultEffect::Drop)
                }],
            });
            (0..64)
                .map(|_| f.pick("GET", "/").is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        let hits = run(3).iter().filter(|h| **h).count();
        assert!(
            (16..48).contains(&hits),
            "about half of 64 requests fail, got {hits}"
        );
    }
}
