/*!
The engine being served, swappable while it serves: hot reload of the corpus.

Requests take a snapshot ([`Library::engine`]) and keep it to the end, so a question is
answered and rendered by one engine even if a reload lands meanwhile. A reload builds a new
engine from the config's files on the caller's thread and swaps it in atomically; if the new
corpus or config is broken, the old engine keeps serving and the error is returned.
*/

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use arc_swap::ArcSwap;

use crate::config::Config;
use crate::error::Result;
use crate::retrieval::Engine;

/// The engine in service and how to rebuild it.
pub struct Library {
    current: ArcSwap<Engine>,
    config: Config,
    reloading: AtomicBool,
}

/// What a successful reload did.
#[derive(Debug, Clone, PartialEq)]
pub struct Reloaded {
    /// Documents now served.
    pub documents: usize,
    /// Passages now served.
    pub passages: usize,
    /// How long the rebuild took, ms.
    pub millis: u128,
}

/// Why a reload did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// Another reload is under way.
    #[error("a reload is already running")]
    Busy,
    /// The new corpus or config is broken; the old engine keeps serving.
    #[error("{0} (the previous corpus keeps serving)")]
    Broken(#[from] crate::error::Error),
}

impl Library {
    /// Serves `engine`, rebuilt from `config` on reload.
    pub fn new(engine: Engine, config: Config) -> Library {
        Library {
            current: ArcSwap::from_pointee(engine),
            config,
            reloading: AtomicBool::new(false),
        }
    }

    /// A snapshot of the engine in service.
    pub fn engine(&self) -> Arc<Engine> {
        self.current.load_full()
    }

    /// Rebuilds the engine from the files and swaps it in. Blocking: call it off the async
    /// threads. Questions keep being answered by the old engine until the swap.
    pub fn reload(&self) -> std::result::Result<Reloaded, ReloadError> {
        if self.reloading.swap(true, Ordering::AcqRel) {
            return Err(ReloadError::Busy);
        }
        let t = Instant::now();
        let built: Result<Engine> = crate::load::engine(&self.config);
        self.reloading.store(false, Ordering::Release);
        let engine = built?;
        let report = Reloaded {
            documents: engine.corpus().documents.len(),
            passages: engine.corpus().passages.len(),
            millis: t.elapsed().as_millis(),
        };
        self.current.store(Arc::new(engine));
        Ok(report)
    }
}
