//! The one integration-test binary: the built `interview-bot` executable end to end, the
//! quality bar on the dev set, rendered snapshots, and the fake Discord.

mod cli;
mod conversations;
mod discord;
mod docs;
mod fake_discord;
mod faults;
mod load;
mod properties;
mod quality;
mod reload;
mod snapshots;
mod support;
