//! End-to-end tests of the Discord front end against the fake Discord (being written).
