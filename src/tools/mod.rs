/*!
The developer tools behind `interview-bot bench` and `interview-bot eval`: they measure what
users get, through the same engine calls and renderers the front ends use.
*/

pub mod bench;
pub mod eval;
