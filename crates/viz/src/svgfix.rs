//! Post-processing that makes SVG from any of our writers safe to embed and
//! to rasterise: no XML prolog, 6-digit colours, page-unique ids.

/// Escapes text for XML content and attribute values.
pub(crate) fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Everything from the root `<svg` on, with colours fixed, ids prefixed and
/// `class` added to the root element.
pub(crate) fn finish(svg: &str, class: &str) -> String {
    let body = svg.find("<svg").map_or(svg, |i| &svg[i..]);
    let prefix = format!("fg{:08x}-", fnv1a(body.as_bytes()) as u32);
    let mut out = map_tags(body, |tag| prefix_ids(&fix_colors(tag), &prefix));
    if let Some(rest) = out.strip_prefix("<svg") {
        out = format!("<svg class=\"{class}\"{rest}");
    }
    out
}

/// Applies `f` to every markup tag (`<...>`), leaving text content alone, so
/// a label that happens to read `url(#x)` or `#ffffffff` is never rewritten.
fn map_tags(svg: &str, mut f: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(svg.len() + svg.len() / 16);
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail.find('>').map_or(tail.len(), |e| e + 1);
        out.push_str(&f(&tail[..end]));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `attr="#rrggbbaa"` becomes `attr="#rrggbb"`, `attr="none"` when fully
/// transparent, or `attr="#rrggbb" attr-opacity="a"` in between: some
/// rasterisers ignore the alpha digits and paint transparent fills black.
pub(crate) fn fix_colors(tag: &str) -> String {
    let mut out = String::with_capacity(tag.len());
    let mut rest = tag;
    while let Some(i) = rest.find("=\"#") {
        let value_start = i + 3;
        let hex = &rest[value_start..];
        let is_rgba = hex.len() > 8
            && hex.as_bytes()[..8].iter().all(u8::is_ascii_hexdigit)
            && hex.as_bytes()[8] == b'"';
        if !is_rgba {
            out.push_str(&rest[..value_start]);
            rest = &rest[value_start..];
            continue;
        }
        let name_start = rest[..i]
            .rfind(|c: char| c.is_whitespace() || c == '<')
            .map_or(0, |p| p + 1);
        let attr = &rest[name_start..i];
        let alpha = u8::from_str_radix(&hex[6..8], 16).unwrap_or(255);
        out.push_str(&rest[..i]);
        match alpha {
            255 => out.push_str(&format!("=\"#{}\"", &hex[..6])),
            0 => out.push_str("=\"none\""),
            a => out.push_str(&format!(
                "=\"#{}\" {attr}-opacity=\"{:.3}\"",
                &hex[..6],
                f64::from(a) / 255.0
            )),
        }
        rest = &hex[9..];
    }
    out.push_str(rest);
    out
}

fn prefix_ids(tag: &str, prefix: &str) -> String {
    tag.replace(" id=\"", &format!(" id=\"{prefix}"))
        .replace("url(#", &format!("url(#{prefix}"))
        .replace("href=\"#", &format!("href=\"#{prefix}"))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_lose_their_alpha_digits() {
        assert_eq!(
            fix_colors(r##"<rect fill="#ffffffff" stroke="#000000ff"/>"##),
            r##"<rect fill="#ffffff" stroke="#000000"/>"##
        );
        assert_eq!(
            fix_colors(r##"<rect fill="#00000000"/>"##),
            r##"<rect fill="none"/>"##
        );
        assert_eq!(
            fix_colors(r##"<rect fill="#ff000080"/>"##),
            r##"<rect fill="#ff0000" fill-opacity="0.502"/>"##
        );
        assert_eq!(
            fix_colors(r##"<rect fill="#123456"/>"##),
            r##"<rect fill="#123456"/>"##
        );
    }

    #[test]
    fn ids_and_references_get_one_prefix_and_text_is_untouched() {
        let svg = r##"<?xml version="1.0"?><svg width="1"><path id="arrow0" marker-end="url(#endarrow)"/><textPath href="#arrow0">url(#x) #ffffffff</textPath></svg>"##;
        let out = finish(svg, "k");
        assert!(out.starts_with("<svg class=\"k\" width=\"1\">"));
        let p = &out[out.find("id=\"").unwrap() + 4..][..11];
        assert!(p.starts_with("fg"));
        assert!(out.contains(&format!("url(#{p}endarrow)")));
        assert!(out.contains(&format!("href=\"#{p}arrow0\"")));
        assert!(out.contains(">url(#x) #ffffffff<"));
    }
}
