/*!
What the Discord front end keeps in memory, pure and clock-free (callers pass `now`): the
per-user limits and the mentions waiting for them, the answers recently posted in each
channel (for the duplicate link), and what it learnt about channels (which are its threads,
and the last answer there).

None of it is needed to answer correctly after a restart: the channels' facts are asked of
Discord again and the last answer read from the channel's history. Every map is bounded.
*/

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::bucket::Buckets;

/// Entries a map keeps before it is pruned (or, for facts that can be asked again, cleared).
const MAX_ENTRIES: usize = 4096;

/// The rate limits and the mentions waiting for them, behind one lock so that "may this user
/// ask now, or is something of theirs already waiting" is one decision.
#[derive(Debug)]
pub struct Limits<T> {
    /// Per-user token buckets.
    pub buckets: Buckets,
    /// Mentions waiting for a token.
    pub waiting: Waiting<T>,
}

/// What happened to a request over the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// It waits, the first of this user's: start a worker that answers them in order.
    First,
    /// It waits behind others of this user's.
    Queued,
    /// The queue is full; `tell` the first time until one is answered, so a flood gets one
    /// notice and not one per message.
    Full {
        /// Say when to ask again.
        tell: bool,
        /// How many are waiting.
        waiting: usize,
    },
}

/// One user's waiting requests.
#[derive(Debug)]
struct Queue<T> {
    /// Ordered by the request's id (Discord's ids grow with time), so requests that reach the
    /// bot out of order are still answered in the order they were sent.
    jobs: VecDeque<(u64, T)>,
    told: bool,
}

/// Requests waiting for their user's bucket, at most `max` per user.
#[derive(Debug)]
pub struct Waiting<T> {
    max: usize,
    users: HashMap<u64, Queue<T>>,
}

impl<T> Waiting<T> {
    /// Queues of at most `max` requests per user.
    pub fn new(max: usize) -> Waiting<T> {
        Waiting {
            max,
            users: HashMap::new(),
        }
    }

    /// Whether `user` has a worker: requests waiting, or one being answered.
    pub fn has(&self, user: u64) -> bool {
        self.users.contains_key(&user)
    }

    /// How many of `user`'s requests wait.
    pub fn len(&self, user: u64) -> usize {
        self.users.get(&user).map_or(0, |q| q.jobs.len())
    }

    /// Queues `job` (ordered by `order`) for `user`.
    pub fn push(&mut self, user: u64, order: u64, job: T) -> Pushed {
        let first = !self.users.contains_key(&user);
        let q = self.users.entry(user).or_insert_with(|| Queue {
            jobs: VecDeque::new(),
            told: false,
        });
        if q.jobs.len() >= self.max {
            let tell = !q.told;
            q.told = true;
            let waiting = q.jobs.len();
            if first {
                self.users.remove(&user);
            }
            return Pushed::Full { tell, waiting };
        }
        let at = q.jobs.partition_point(|(o, _)| *o <= order);
        q.jobs.insert(at, (order, job));
        if first {
            Pushed::First
        } else {
            Pushed::Queued
        }
    }

    /// Whether `user`'s worker has more to do; when not, forgets the user (the worker ends).
    pub fn ready(&mut self, user: u64) -> bool {
        let more = self.users.get(&user).is_some_and(|q| !q.jobs.is_empty());
        if !more {
            self.users.remove(&user);
        }
        more
    }

    /// The next request of `user`, oldest first.
    pub fn pop(&mut self, user: u64) -> Option<T> {
        let q = self.users.get_mut(&user)?;
        q.told = false;
        q.jobs.pop_front().map(|(_, j)| j)
    }
}

/// An answer posted in a channel.
#[derive(Debug, Clone)]
struct Shown {
    at: Instant,
    channel: u64,
    passage: String,
    message: u64,
}

/// The answers posted in the last `window`, per channel and passage.
#[derive(Debug)]
pub struct Recent {
    window: Duration,
    shown: VecDeque<Shown>,
}

impl Recent {
    /// Remembers answers for `window` (zero: remembers nothing).
    pub fn new(window: Duration) -> Recent {
        Recent {
            window,
            shown: VecDeque::new(),
        }
    }

    /// The newest message in `channel` quoting `passage` within the window, and how long ago.
    pub fn find(&self, channel: u64, passage: &str, now: Instant) -> Option<(u64, Duration)> {
        self.shown
            .iter()
            .rev()
            .map(|s| (s, now.saturating_duration_since(s.at)))
            .take_while(|(_, ago)| *ago < self.window)
            .find(|(s, _)| s.channel == channel && s.passage == passage)
            .map(|(s, ago)| (s.message, ago))
    }

    /// Remembers that `message` in `channel` quoted `passage` at `now`.
    pub fn record(&mut self, channel: u64, passage: &str, message: u64, now: Instant) {
        if self.window.is_zero() {
            return;
        }
        while self.shown.front().is_some_and(|s| {
            now.saturating_duration_since(s.at) >= self.window || self.shown.len() >= MAX_ENTRIES
        }) {
            self.shown.pop_front();
        }
        self.shown.push_back(Shown {
            at: now,
            channel,
            passage: passage.to_string(),
            message,
        });
    }
}

/// What a channel is, as far as answering goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// A direct message with the bot: answered without a mention, a conversation.
    Dm,
    /// A server channel (or a thread someone else opened).
    Plain,
    /// A thread the bot opened on one of its answers, in `parent`: a conversation.
    BotThread {
        /// The channel the thread is in.
        parent: u64,
    },
    /// A thread someone else opened: answered like a channel, but no thread opens in it.
    OtherThread,
}

impl ChannelKind {
    /// Whether the bot reads each question there in the context of its last answer.
    pub fn is_conversation(self) -> bool {
        matches!(self, ChannelKind::Dm | ChannelKind::BotThread { .. })
    }

    /// Whether a thread can be opened on a message there.
    pub fn can_thread(self) -> bool {
        self == ChannelKind::Plain
    }
}

/// The last answer in a conversation: its question and passage id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    /// The question as asked (empty when unknown).
    pub question: String,
    /// The passage id, as shown.
    pub passage: String,
}

/// Facts about channels, learnt from Discord or from the bot's own answers.
#[derive(Debug, Default)]
pub struct Channels {
    kinds: HashMap<u64, ChannelKind>,
    last: HashMap<u64, Option<Previous>>,
}

impl Channels {
    /// What `channel` is, if known.
    pub fn kind(&self, channel: u64) -> Option<ChannelKind> {
        self.kinds.get(&channel).copied()
    }

    /// Remembers what `channel` is.
    pub fn set_kind(&mut self, channel: u64, kind: ChannelKind) {
        if self.kinds.len() >= MAX_ENTRIES {
            // Facts Discord can be asked again: start over rather than track age.
            self.kinds.clear();
        }
        self.kinds.insert(channel, kind);
    }

    /// The last answer in `channel`: `None` when not known, `Some(None)` when known to be none.
    pub fn last(&self, channel: u64) -> Option<Option<Previous>> {
        self.last.get(&channel).cloned()
    }

    /// Remembers the last answer in `channel` (or that there is none).
    pub fn set_last(&mut self, channel: u64, previous: Option<Previous>) {
        if self.last.len() >= MAX_ENTRIES && !self.last.contains_key(&channel) {
            self.last.clear();
        }
        self.last.insert(channel, previous);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_keeps_order_and_bounds() {
        let mut w: Waiting<&str> = Waiting::new(2);
        assert_eq!(w.push(1, 30, "c"), Pushed::First);
        assert_eq!(
            w.push(1, 20, "b"),
            Pushed::Queued,
            "an earlier message goes first"
        );
        assert_eq!(
            w.push(1, 40, "d"),
            Pushed::Full {
                tell: true,
                waiting: 2
            }
        );
        assert_eq!(
            w.push(1, 50, "e"),
            Pushed::Full {
                tell: false,
                waiting: 2
            },
            "one notice per flood"
        );
        assert_eq!(w.push(2, 10, "x"), Pushed::First, "users are apart");
        assert!(w.ready(1));
        assert_eq!(w.pop(1), Some("b"));
        assert!(matches!(w.push(1, 60, "f"), Pushed::Queued));
        assert_eq!(w.pop(1), Some("c"));
        assert_eq!(w.pop(1), Some("f"));
        assert!(w.has(1), "the worker still answers the last one");
        assert!(!w.ready(1));
        assert!(!w.has(1));
        assert_eq!(w.push(1, 70, "g"), Pushed::First, "a new worker");
        let mut none: Waiting<()> = Waiting::new(0);
        assert!(matches!(
            none.push(1, 1, ()),
            Pushed::Full { tell: true, .. }
        ));
        assert!(!none.has(1));
    }

    #[test]
    fn recent_answers_expire() {
        let t0 = Instant::now();
        let min = Duration::from_secs(60);
        let mut r = Recent::new(10 * min);
        r.record(7, "Q5", 100, t0);
        r.record(8, "Q5", 101, t0 + min);
        assert_eq!(r.find(7, "Q5", t0 + 2 * min), Some((100, 2 * min)));
        assert_eq!(r.find(7, "Q6", t0 + 2 * min), None);
        assert_eq!(r.find(9, "Q5", t0 + 2 * min), None);
        assert_eq!(r.find(7, "Q5", t0 + 10 * min), None, "the window is over");
        r.record(7, "Q5", 102, t0 + 11 * min);
        assert_eq!(r.find(7, "Q5", t0 + 12 * min), Some((102, min)));
        let mut off = Recent::new(Duration::ZERO);
        off.record(7, "Q5", 100, t0);
        assert_eq!(off.find(7, "Q5", t0), None);
    }

    #[test]
    fn channels_are_bounded() {
        let mut c = Channels::default();
        for i in 0..MAX_ENTRIES as u64 + 1 {
            c.set_kind(i, ChannelKind::Plain);
            c.set_last(i, None);
        }
        assert!(c.kinds.len() <= MAX_ENTRIES && c.last.len() <= MAX_ENTRIES);
        assert_eq!(c.kind(MAX_ENTRIES as u64), Some(ChannelKind::Plain));
        assert!(ChannelKind::BotThread { parent: 1 }.is_conversation());
        assert!(!ChannelKind::OtherThread.can_thread());
    }
}
