/*!
The Discord front end (serenity + poise). Being written: see the Discord issue.
*/
