/*!
Per-user token buckets: a user may ask `burst` questions at once, and one more every
`refill`, so one person cannot flood a channel while a short exchange is never held back.

Pure and clock-free: callers pass `now`. A bucket that has refilled completely says nothing a
new one would not, so full buckets are pruned as the map grows: a bot that runs for months does
not keep every user it ever saw.
*/

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Buckets kept before full ones are pruned.
const PRUNE_ABOVE: usize = 4096;

/// One user's tokens as of `at`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The buckets of every user.
#[derive(Debug)]
pub struct Buckets {
    burst: f64,
    refill: Duration,
    users: HashMap<u64, Bucket>,
}

impl Buckets {
    /// Buckets of `burst` tokens, one added every `refill`. A burst of 0 (or no refill time)
    /// turns limiting off.
    pub fn new(burst: u32, refill: Duration) -> Buckets {
        Buckets {
            burst: f64::from(burst),
            refill,
            users: HashMap::new(),
        }
    }

    fn unlimited(&self) -> bool {
        self.burst == 0.0 || self.refill.is_zero()
    }

    /// `user`'s tokens at `now`, refilled since last time.
    fn tokens(&self, user: u64, now: Instant) -> f64 {
        match self.users.get(&user) {
            None => self.burst,
            Some(b) => {
                let gained =
                    now.saturating_duration_since(b.at).as_secs_f64() / self.refill.as_secs_f64();
                (b.tokens + gained).min(self.burst)
            }
        }
    }

    /// Takes a token of `user` at `now` if there is one; otherwise how long until there is.
    pub fn take(&mut self, user: u64, now: Instant) -> Result<(), Duration> {
        if self.unlimited() {
            return Ok(());
        }
        let tokens = self.tokens(user, now);
        if tokens < 1.0 {
            return Err(self.refill.mul_f64(1.0 - tokens));
        }
        if self.users.len() >= PRUNE_ABOVE {
            let full = self.refill.mul_f64(self.burst);
            self.users
                .retain(|_, b| now.saturating_duration_since(b.at) < full);
        }
        self.users.insert(
            user,
            Bucket {
                tokens: tokens - 1.0,
                at: now,
            },
        );
        Ok(())
    }

    /// How long from `now` until `user` will have had `n` more tokens than they can take now:
    /// when the `n`-th request after the ones already waiting could be answered.
    pub fn wait_for(&self, user: u64, n: usize, now: Instant) -> Duration {
        if self.unlimited() {
            return Duration::ZERO;
        }
        let missing = n as f64 - self.tokens(user, now);
        self.refill.mul_f64(missing.max(0.0))
    }

    /// Users currently remembered.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether no user is remembered.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_every_refill() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut b = Buckets::new(3, s(10));
        // (user, seconds after t0, allowed)
        let steps: &[(u64, u64, bool)] = &[
            (1, 0, true),
            (1, 0, true),
            (1, 1, true),
            (1, 2, false),
            (2, 2, true),
            (1, 9, false),
            (1, 10, true),
            (1, 11, false),
            (1, 20, true),
            (1, 60, true),
            (1, 60, true),
            (1, 60, true),
            (1, 60, false),
        ];
        for &(user, at, allowed) in steps {
            assert_eq!(
                b.take(user, t0 + s(at)).is_ok(),
                allowed,
                "user {user} at {at}s"
            );
        }
        // Empty at 60 s: the next token comes at 70 s.
        assert_eq!(b.take(1, t0 + s(64)), Err(s(6)));
        assert_eq!(b.wait_for(1, 1, t0 + s(64)), s(6));
        assert_eq!(b.wait_for(1, 3, t0 + s(64)), s(26));
        assert_eq!(b.wait_for(2, 1, t0 + s(64)), Duration::ZERO);
    }

    #[test]
    fn zero_burst_allows_everything_and_remembers_nothing() {
        let mut b = Buckets::new(0, Duration::from_secs(10));
        let now = Instant::now();
        assert!((0..100).all(|_| b.take(1, now).is_ok()));
        assert!(b.is_empty());
        assert_eq!(b.wait_for(1, 5, now), Duration::ZERO);
    }

    #[test]
    fn full_buckets_are_pruned() {
        let t0 = Instant::now();
        let mut b = Buckets::new(2, Duration::from_secs(1));
        for u in 0..PRUNE_ABOVE as u64 {
            b.take(u, t0).unwrap();
        }
        b.take(u64::MAX, t0 + Duration::from_secs(3)).unwrap();
        assert_eq!(b.len(), 1);
    }
}
