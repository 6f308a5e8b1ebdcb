/*!
Per-user cooldowns: one request per user per period, so one person cannot flood a channel.

Pure and clock-free: callers pass `now`. Old entries are pruned as the map grows, so a bot
that runs for months does not accumulate every user it ever saw.
*/

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Entries kept before expired ones are pruned.
const PRUNE_ABOVE: usize = 4096;

/// Last request time per user.
#[derive(Debug)]
pub struct Cooldowns {
    period: Duration,
    last: HashMap<u64, Instant>,
}

impl Cooldowns {
    /// Cooldowns of `period` (zero disables them).
    pub fn new(period: Duration) -> Cooldowns {
        Cooldowns {
            period,
            last: HashMap::new(),
        }
    }

    /// Records a request of `user` at `now` if allowed; otherwise how long to wait.
    pub fn check(&mut self, user: u64, now: Instant) -> Result<(), Duration> {
        if self.period.is_zero() {
            return Ok(());
        }
        if let Some(&at) = self.last.get(&user) {
            let since = now.saturating_duration_since(at);
            if since < self.period {
                return Err(self.period - since);
            }
        }
        if self.last.len() >= PRUNE_ABOVE {
            let period = self.period;
            self.last
                .retain(|_, at| now.saturating_duration_since(*at) < period);
        }
        self.last.insert(user, now);
        Ok(())
    }

    /// Users currently remembered.
    pub fn len(&self) -> usize {
        self.last.len()
    }

    /// Whether no user is remembered.
    pub fn is_empty(&self) -> bool {
        self.last.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooldown_table() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut c = Cooldowns::new(s(3));
        let steps: &[(u64, u64, bool)] = &[
            (1, 0, true),
            (1, 1, false),
            (2, 1, true),
            (1, 2, false),
            (1, 3, true),
            (2, 3, false),
            (2, 4, true),
        ];
        for &(user, at, allowed) in steps {
            assert_eq!(
                c.check(user, t0 + s(at)).is_ok(),
                allowed,
                "user {user} at {at}s"
            );
        }
        assert_eq!(c.check(1, t0 + s(4)), Err(s(2)));
    }

    #[test]
    fn zero_period_allows_everything_and_remembers_nothing() {
        let mut c = Cooldowns::new(Duration::ZERO);
        let now = Instant::now();
        assert!(c.check(1, now).is_ok() && c.check(1, now).is_ok());
        assert!(c.is_empty());
    }

    #[test]
    fn old_entries_are_pruned() {
        let t0 = Instant::now();
        let mut c = Cooldowns::new(Duration::from_secs(1));
        for u in 0..PRUNE_ABOVE as u64 {
            c.check(u, t0).unwrap();
        }
        c.check(u64::MAX, t0 + Duration::from_secs(2)).unwrap();
        assert_eq!(c.len(), 1);
    }
}
