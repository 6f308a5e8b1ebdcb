//! The one integration-test binary: runs the built `interview-bot` executable.

mod fake_discord;
