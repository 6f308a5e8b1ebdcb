/*!
The developer tools behind `interview-bot bench`, `eval` and `calibrate`: they measure what
users get, through the same engine calls and renderers the front ends use.
*/

pub mod bench;
pub mod calibrate;
pub mod eval;
