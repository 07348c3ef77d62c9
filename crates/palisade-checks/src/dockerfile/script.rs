//! Just enough of the shell to judge RUN scripts: simple commands, split on `&&`, `||`,
//! `;`, `&`, newlines and pipes, with their words and where each word starts. Quoted text
//! stays one word; nested scripts (`sh -c "..."`) are not re-parsed, except that a
//! command substitution of a download (`"$(curl ...)"`) is recognised by its text.

/// A word of a command, quotes removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub text: String,
    /// Byte offset in the script.
    pub start: usize,
}

/// A simple command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    pub words: Vec<Word>,
    /// Its input is the previous command's output (`a | b`).
    pub piped: bool,
}

impl Command {
    /// The index of the program word, past `VAR=value` assignments and the wrappers that
    /// run another command (`sudo -E`, `env`, `exec`, `nohup`, `time`).
    pub fn program_index(&self) -> Option<usize> {
        let mut i = 0;
        let mut wrapper = false;
        while let Some(w) = self.words.get(i) {
            let t = w.text.as_str();
            let assignment = t
                .split_once('=')
                .is_some_and(|(k, _)| !k.is_empty() && k.chars().all(is_name_char));
            if assignment || (wrapper && t.starts_with('-')) {
                i += 1;
                continue;
            }
            if matches!(base(t), "sudo" | "env" | "exec" | "nohup" | "time" | "doas") {
                wrapper = true;
                i += 1;
                continue;
            }
            return Some(i);
        }
        None
    }

    /// The program's name without its directory (`/usr/bin/curl` → `curl`).
    pub fn program(&self) -> Option<&str> {
        self.program_index()
            .and_then(|i| self.words.get(i))
            .map(|w| base(&w.text))
    }

    /// The words after the program.
    pub fn args(&self) -> &[Word] {
        self.program_index()
            .and_then(|i| self.words.get(i + 1..))
            .unwrap_or(&[])
    }

    /// Is any argument exactly `flag`, or `flag=...`?
    pub fn has_flag(&self, flag: &str) -> bool {
        self.args().iter().any(|w| {
            w.text == flag
                || w.text
                    .strip_prefix(flag)
                    .is_some_and(|r| r.starts_with('='))
        })
    }

    /// Where the command starts.
    pub fn start(&self) -> usize {
        self.words.first().map_or(0, |w| w.start)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `/usr/bin/curl` → `curl`.
pub(crate) fn base(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Splits a script into simple commands.
pub(crate) fn commands(script: &str) -> Vec<Command> {
    let mut out = Vec::new();
    let mut cmd = Command {
        words: Vec::new(),
        piped: false,
    };
    let mut word: Option<Word> = None;
    let mut quote: Option<char> = None;
    let mut chars = script.char_indices().peekable();
    let finish_word = |word: &mut Option<Word>, cmd: &mut Command| {
        if let Some(w) = word.take() {
            cmd.words.push(w);
        }
    };
    while let Some((i, c)) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == '\\' && q == '"' {
                if let Some((_, n)) = chars.next() {
                    push(&mut word, i, n);
                }
            } else {
                push(&mut word, i, c);
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                word.get_or_insert(Word {
                    text: String::new(),
                    start: i,
                });
            }
            '\\' => match chars.next() {
                Some((_, '\n')) | None => {}
                Some((_, n)) => push(&mut word, i, n),
            },
            ' ' | '\t' | '\r' => finish_word(&mut word, &mut cmd),
            '|' | '&' | ';' | '\n' => {
                finish_word(&mut word, &mut cmd);
                let doubled = chars.peek().is_some_and(|&(_, n)| n == c);
                if doubled {
                    chars.next();
                }
                // `|&` pipes stderr too.
                let pipe = c == '|' && !doubled;
                if pipe && chars.peek().is_some_and(|&(_, n)| n == '&') {
                    chars.next();
                }
                let next = Command {
                    words: Vec::new(),
                    piped: pipe,
                };
                let done = std::mem::replace(&mut cmd, next);
                if !done.words.is_empty() {
                    out.push(done);
                }
            }
            '#' if word.is_none() => {
                // A comment runs to the end of the line.
                while chars.peek().is_some_and(|&(_, n)| n != '\n') {
                    chars.next();
                }
            }
            _ => push(&mut word, i, c),
        }
    }
    finish_word(&mut word, &mut cmd);
    if !cmd.words.is_empty() {
        out.push(cmd);
    }
    out
}

fn push(word: &mut Option<Word>, at: usize, c: char) {
    word.get_or_insert(Word {
        text: String::new(),
        start: at,
    })
    .text
    .push(c);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(script: &str) -> Vec<(bool, Vec<String>)> {
        commands(script)
            .into_iter()
            .map(|c| (c.piped, c.words.into_iter().map(|w| w.text).collect()))
            .collect()
    }

    #[test]
    fn splits_on_operators_and_keeps_quotes() {
        let got = shape("curl -fsSL 'https://x/a b' | sudo -E bash - && echo \"a;b\"; x || y");
        assert_eq!(got.len(), 5);
        assert_eq!(got[0].1, ["curl", "-fsSL", "https://x/a b"]);
        assert!(got[1].0);
        assert_eq!(got[1].1, ["sudo", "-E", "bash", "-"]);
        assert_eq!(got[2].1, ["echo", "a;b"]);
        assert!(!got[4].0);
    }

    #[test]
    fn program_skips_assignments_and_wrappers() {
        let c = &commands("DEBIAN_FRONTEND=noninteractive sudo -E /usr/bin/apt-get install x")[0];
        assert_eq!(c.program(), Some("apt-get"));
        assert_eq!(c.args()[0].text, "install");
        assert!(c.has_flag("install"));
        assert_eq!(commands("A=1")[0].program(), None);
    }

    #[test]
    fn offsets_point_at_words() {
        let s = "echo hi\n  wget -q x";
        let c = &commands(s)[1];
        assert_eq!(&s[c.start()..c.start() + 4], "wget");
    }

    #[test]
    fn comments_and_odd_input() {
        assert_eq!(shape("# only\nls # trailing").len(), 1);
        for s in ["'", "\"\\", "\\", "|||", "&&&", "a |& b"] {
            let _ = commands(s);
        }
    }
}
