//! A server-sent-events parser on raw bytes. Written by hand because it must
//! see every chunk boundary (for timing) and must turn any malformation into
//! an error of that one request rather than a panic or a silent skip.

/// Longest line accepted. A server that never sends a newline would
/// otherwise make the buffer grow without bound.
const MAX_LINE: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseError {
    NotUtf8,
    LineTooLong,
}

impl std::fmt::Display for SseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SseError::NotUtf8 => write!(f, "Ereignisstrom ist kein gültiges UTF-8"),
            SseError::LineTooLong => write!(f, "Zeile im Ereignisstrom länger als 1 MiB"),
        }
    }
}

/// Incremental parser: feed chunks as they arrive, get the `data` payloads
/// of complete events. Lines may end in `\n` or `\r\n`; several `data:`
/// lines of one event are joined with `\n`; comments and other fields
/// (`event:`, `id:`, `retry:`) are ignored, as the chat API does not use them.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    data: Option<String>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a chunk; returns the data of every event completed by it.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<String>, SseError> {
        let mut events = Vec::new();
        for &b in chunk {
            if b == b'\n' {
                let mut line = std::mem::take(&mut self.line);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.line_done(&line, &mut events)?;
            } else {
                if self.line.len() >= MAX_LINE {
                    return Err(SseError::LineTooLong);
                }
                self.line.push(b);
            }
        }
        Ok(events)
    }

    /// End of stream: an event whose closing blank line never came is still
    /// delivered, since some servers close right after the last `data:` line.
    pub fn finish(&mut self) -> Result<Vec<String>, SseError> {
        let mut events = Vec::new();
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.line_done(&line, &mut events)?;
        }
        if let Some(d) = self.data.take() {
            events.push(d);
        }
        Ok(events)
    }

    fn line_done(&mut self, line: &[u8], events: &mut Vec<String>) -> Result<(), SseError> {
        if line.is_empty() {
            if let Some(d) = self.data.take() {
                events.push(d);
            }
            return Ok(());
        }
        let line = std::str::from_utf8(line).map_err(|_| SseError::NotUtf8)?;
        if line.starts_with(':') {
            return Ok(());
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        if field == "data" {
            match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_are_joined() {
        let mut p = SseParser::new();
        assert!(p.push(b"data: {\"a\"").unwrap().is_empty());
        assert!(p.push(b": 1}\r").unwrap().is_empty());
        assert_eq!(
            p.push(b"\n\r\ndata: [DONE]\n\n").unwrap(),
            vec!["{\"a\": 1}", "[DONE]"]
        );
    }

    #[test]
    fn comments_and_other_fields_are_ignored_and_multiline_data_is_joined() {
        let mut p = SseParser::new();
        let ev = p
            .push(b": keep-alive\nevent: x\nid: 3\ndata: a\ndata:b\n\n")
            .unwrap();
        assert_eq!(ev, vec!["a\nb"]);
    }

    #[test]
    fn an_unterminated_last_event_is_delivered_at_the_end() {
        let mut p = SseParser::new();
        assert!(p.push(b"data: [DONE]").unwrap().is_empty());
        assert_eq!(p.finish().unwrap(), vec!["[DONE]"]);
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let mut p = SseParser::new();
        assert_eq!(p.push(b"data: \xff\xfe\n\n"), Err(SseError::NotUtf8));
    }

    #[test]
    fn a_utf8_character_split_across_chunks_survives() {
        let mut p = SseParser::new();
        let text = "data: Größe\n\n".as_bytes();
        let (a, b) = text.split_at(8); // inside "ö"
        assert!(p.push(a).unwrap().is_empty());
        assert_eq!(p.push(b).unwrap(), vec!["Größe"]);
    }

    #[test]
    fn an_endless_line_is_cut_off() {
        let mut p = SseParser::new();
        let big = vec![b'a'; MAX_LINE + 1];
        assert_eq!(p.push(&big), Err(SseError::LineTooLong));
    }
}
