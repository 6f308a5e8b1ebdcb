/*!
What a front end asks the engine, beyond the question's text: the previous answer a follow-up
refers to, the phrasings a community taught, who asked (the decision's operating point) and
which hits to quote. [`crate::Engine::answer`] takes a [`Request`]; `ask` and `ask_quoting`
are its shorthands for a question asked on its own.

Every part is plain data that a front end can rebuild from what it keeps (a Discord answer's
embed and button ids carry the passage id), so a follow-up keeps working across a restart.
*/

use crate::answer::Quoting;

/// Who asked, and so how sure the bot must be to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Asking {
    /// Somebody addressed the bot (a slash command, a mention, a reply, the console).
    #[default]
    Asked,
    /// The bot overheard it (a listen channel, a thread where nobody addressed it): a wrong
    /// unsolicited answer is worse than silence, so it answers only when it is surer.
    Unasked,
}

/// The previous exchange a follow-up is read against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The previous question, as the user wrote it (empty when unknown).
    pub question: String,
    /// The passage that answered it (index into the corpus).
    pub passage: usize,
}

/// A phrasing that a community taught the bot for a passage (`/teach`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// The phrasing, as the moderator wrote it.
    pub phrasing: String,
    /// The passage it reaches (index into the corpus).
    pub passage: usize,
}

/// One question and what the front end knows about it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The question as the user wrote it.
    pub question: &'a str,
    /// The previous answer, when the question may be a follow-up.
    pub context: Option<&'a Context>,
    /// Phrasings taught for this community.
    pub aliases: &'a [Alias],
    /// Who asked.
    pub asking: Asking,
    /// Which hits get a quote.
    pub quoting: Quoting,
}

impl<'a> Request<'a> {
    /// A question asked on its own, every hit quoted.
    pub fn new(question: &'a str) -> Request<'a> {
        Request {
            question,
            context: None,
            aliases: &[],
            asking: Asking::Asked,
            quoting: Quoting::All,
        }
    }

    /// The same request read against a previous answer.
    pub fn after(self, context: Option<&'a Context>) -> Request<'a> {
        Request { context, ..self }
    }

    /// The same request with a community's taught phrasings.
    pub fn with_aliases(self, aliases: &'a [Alias]) -> Request<'a> {
        Request { aliases, ..self }
    }

    /// The same request, asked or overheard.
    pub fn asking(self, asking: Asking) -> Request<'a> {
        Request { asking, ..self }
    }

    /// The same request quoting `quoting`.
    pub fn quoting(self, quoting: Quoting) -> Request<'a> {
        Request { quoting, ..self }
    }
}
