//! Reading a cell's text back from its source file, and checking it is the
//! code the compiler ran.

/// The text of the [`crate::cell!`] call starting on `line` (1-based) of
/// `src`: the statements of its block, dedented, then the shown expression
/// after `=>` if any, on its own line.
pub fn cell_text(src: &str, line: u32) -> Result<String, String> {
    let (body, tail) = cell_parts(src, line)?;
    Ok(match tail {
        Some(t) if body.is_empty() => t,
        Some(t) => format!("{body}\n{t}"),
        None => body,
    })
}

/// [`cell_text`] in two parts: the statements, and the shown expression.
pub fn cell_parts(src: &str, line: u32) -> Result<(String, Option<String>), String> {
    let start = src
        .split_inclusive('\n')
        .take(line.saturating_sub(1) as usize)
        .map(str::len)
        .sum::<usize>();
    let rest = &src[start.min(src.len())..];
    let call = rest
        .find("cell!(")
        .ok_or_else(|| format!("no `cell!(` on or after line {line}"))?;
    let after = &rest[call + "cell!(".len()..];
    let open = after
        .find('{')
        .ok_or_else(|| "no `{` opening the cell's code".to_string())?;
    let body_start = open + 1;
    let body_len = matching(&after[body_start..], '{', '}')
        .ok_or_else(|| "the cell's `{` is never closed".to_string())?;
    let body = &after[body_start..body_start + body_len];
    let tail_part = after[body_start + body_len + 1..].trim_start();
    let body = dedent(body);
    let Some(tail) = tail_part.strip_prefix("=>") else {
        return Ok((body, None));
    };
    let len =
        matching(tail, '(', ')').ok_or_else(|| "the `cell!(` call is never closed".to_string())?;
    let tail = tail[..len].trim().trim_end_matches(',').trim_end();
    Ok((body, Some(reindent_tail(tail))))
}

/// Length of the text before the `close` that ends a group opened just before
/// `s` (nested groups, strings, chars and line comments skipped).
fn matching(s: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '\'' => {
                // A char literal ('x', '\n', '{'); a lifetime has no closing quote.
                let rest = &s[i + 1..];
                let len = if let Some(escaped) = rest.strip_prefix('\\') {
                    escaped.find('\'').map(|p| p + 2)
                } else {
                    rest.chars()
                        .next()
                        .filter(|_| rest.chars().nth(1) == Some('\''))
                        .map(|ch| ch.len_utf8() + 1)
                };
                if let Some(len) = len {
                    for _ in 0..rest[..len].chars().count() {
                        chars.next();
                    }
                }
            }
            '/' if chars.peek().map(|&(_, c)| c) == Some('/') => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            c if c == open => depth += 1,
            c if c == close => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    None
}

/// The indentation every non-blank line of `lines` has (0 if none).
fn shared_indent(lines: &[&str]) -> usize {
    lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0)
}

/// The shown expression with its continuation lines indented by four spaces
/// (in the file they are indented relative to the `cell!` call).
fn reindent_tail(tail: &str) -> String {
    let mut lines = tail.lines();
    let first = lines.next().unwrap_or("").to_string();
    let rest: Vec<&str> = lines.collect();
    let indent = shared_indent(&rest);
    rest.iter().fold(first, |mut acc, l| {
        acc.push_str("\n    ");
        acc.push_str(l.get(indent..).unwrap_or("").trim_end());
        acc
    })
}

/// The lines of `body` without blank first and last lines and without the
/// indentation they share.
fn dedent(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let last = lines.iter().rposition(|l| !l.trim().is_empty());
    let (Some(first), Some(last)) = (first, last) else {
        return String::new();
    };
    let lines = &lines[first..=last];
    let indent = shared_indent(lines);
    lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks that `code` (as read from the file) is the token text `tokens` (as
/// `stringify!` printed it), ignoring whitespace and line comments.
pub fn same_tokens(code: &str, tokens: &str) -> Result<(), String> {
    let strip = |s: &str| -> String {
        let mut out = String::new();
        let mut in_str = false;
        let mut prev = '\0';
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if in_str {
                out.push(c);
                if c == '"' && prev != '\\' {
                    in_str = false;
                }
                prev = if prev == '\\' && c == '\\' { '\0' } else { c };
                continue;
            }
            match c {
                '"' => {
                    in_str = true;
                    prev = c;
                    out.push(c);
                }
                '/' if chars.peek() == Some(&'/') => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                }
                c if c.is_whitespace() => {}
                c => out.push(c),
            }
        }
        out
    };
    let (a, b) = (strip(code), strip(tokens));
    if a == b {
        return Ok(());
    }
    let at = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let near = |s: &str| {
        s.chars()
            .skip(at.saturating_sub(20))
            .take(40)
            .collect::<String>()
    };
    Err(format!(
        "they differ after {at} characters: file `{}` vs compiled `{}`",
        near(&a),
        near(&b)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "fn x() {\n    cell!(nb, {\n        let s = \"}{\"; // a brace }\n        let c = '}';\n    } => (s, c));\n}\n";

    #[test]
    fn reads_the_block_and_the_shown_expression() {
        let code = cell_text(SRC, 2).unwrap();
        assert_eq!(code, "let s = \"}{\"; // a brace }\nlet c = '}';\n(s, c)");
        assert!(same_tokens(&code, "let s = \"}{\"; let c = '}'; (s, c)").is_ok());
        let err = same_tokens(&code, "let s = \"}{\"; let c = '{'; (s, c)").unwrap_err();
        assert!(err.contains("differ"), "{err}");
    }

    #[test]
    fn whitespace_inside_strings_counts() {
        assert!(same_tokens("\"a b\"", "\"ab\"").is_err());
    }

    #[test]
    fn a_missing_cell_is_an_error() {
        assert!(cell_text("let x = 1;\n", 1).is_err());
    }
}
