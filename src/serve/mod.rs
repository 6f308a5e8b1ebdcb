/*!
The front ends: each reads questions from somewhere, asks the [`crate::retrieval::Engine`]
and renders the same [`crate::Answer`]. The batch protocol and the hot-swapped library are
always built; the interactive console and Discord each sit behind a cargo feature so that a
build without them carries none of their dependencies.
*/

pub mod batch;
#[cfg(feature = "console")]
pub mod console;
#[cfg(feature = "discord")]
pub mod discord;
pub mod library;
