//! A small JSON reader that keeps number text exactly.
//!
//! serde_json (without its workspace-wide `arbitrary_precision` feature, which changes
//! behaviour for every crate linking it) rounds numbers through `f64`, and Terraform numbers
//! are arbitrary precision. This reader parses the structure itself and keeps each number's
//! text; string unescaping is delegated to serde_json.

/// A parsed JSON document whose numbers are kept as their source text.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum JsonNode {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<JsonNode>),
    /// Members in document order (duplicates are rejected).
    Object(Vec<(String, JsonNode)>),
}

/// Nesting deeper than this is rejected instead of overflowing the stack.
const MAX_DEPTH: usize = 256;

impl JsonNode {
    /// Parses a complete JSON document.
    pub(super) fn parse(bytes: &[u8]) -> Result<JsonNode, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
        let mut reader = Reader { text, pos: 0 };
        let node = reader.value(0)?;
        reader.skip_ws();
        if reader.pos != text.len() {
            return Err(reader.error("trailing characters"));
        }
        Ok(node)
    }

    /// The member `name` of an object.
    pub(super) fn member(&self, name: &str) -> Option<&JsonNode> {
        match self {
            JsonNode::Object(members) => members.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Converts to a serde_json value (numbers become serde_json numbers where possible).
    pub(super) fn to_serde(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            JsonNode::Null => J::Null,
            JsonNode::Bool(b) => J::Bool(*b),
            JsonNode::Number(n) => serde_json::from_str(n).unwrap_or(J::Null),
            JsonNode::String(s) => J::String(s.clone()),
            JsonNode::Array(items) => J::Array(items.iter().map(JsonNode::to_serde).collect()),
            JsonNode::Object(members) => J::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_serde()))
                    .collect(),
            ),
        }
    }
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, what: &str) -> String {
        format!("{what} at byte {}", self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect_word(&mut self, word: &str, node: JsonNode) -> Result<JsonNode, String> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(node)
        } else {
            Err(self.error("unexpected token"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonNode, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        self.skip_ws();
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'n') => self.expect_word("null", JsonNode::Null),
            Some(b't') => self.expect_word("true", JsonNode::Bool(true)),
            Some(b'f') => self.expect_word("false", JsonNode::Bool(false)),
            Some(b'"') => self.string().map(JsonNode::String),
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(JsonNode::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(JsonNode::Array(items));
                        }
                        _ => return Err(self.error("expected ',' or ']'")),
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut members: Vec<(String, JsonNode)> = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(JsonNode::Object(members));
                }
                loop {
                    self.skip_ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.error("expected a member name"));
                    }
                    let key = self.string()?;
                    self.skip_ws();
                    if self.peek() != Some(b':') {
                        return Err(self.error("expected ':'"));
                    }
                    self.pos += 1;
                    let value = self.value(depth + 1)?;
                    if members.iter().any(|(k, _)| *k == key) {
                        return Err(self.error(&format!("duplicate member {key:?}")));
                    }
                    members.push((key, value));
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(JsonNode::Object(members));
                        }
                        _ => return Err(self.error("expected ',' or '}'")),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number().map(JsonNode::Number),
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    /// A string token; its span is handed to serde_json for unescaping.
    fn string(&mut self) -> Result<String, String> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        self.pos += 1;
        loop {
            match bytes.get(self.pos) {
                None => return Err(self.error("unterminated string")),
                Some(b'\\') => self.pos += 2,
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => self.pos += 1,
            }
        }
        serde_json::from_str(&self.text[start..self.pos]).map_err(|e| self.error(&e.to_string()))
    }

    /// A number token, validated against JSON's grammar and returned verbatim.
    fn number(&mut self) -> Result<String, String> {
        let start = self.pos;
        let digits = |r: &mut Self| {
            let s = r.pos;
            while matches!(r.peek(), Some(b'0'..=b'9')) {
                r.pos += 1;
            }
            r.pos > s
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else if !digits(self) {
            return Err(self.error("malformed number"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.error("malformed number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.error("malformed number"));
            }
        }
        Ok(self.text[start..self.pos].to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_numbers_verbatim() {
        let node = JsonNode::parse(br#" {"a": [1.50, -0, 3e+400], "b": "x\"\u00e9"} "#).unwrap();
        assert_eq!(
            node.member("a"),
            Some(&JsonNode::Array(vec![
                JsonNode::Number("1.50".into()),
                JsonNode::Number("-0".into()),
                JsonNode::Number("3e+400".into()),
            ]))
        );
        assert_eq!(node.member("b"), Some(&JsonNode::String("x\"é".into())));
    }

    #[test]
    fn rejects_malformed_documents() {
        for bad in [
            "",
            "[1,]",
            "{\"a\" 1}",
            "01",
            "1.",
            "-",
            "[1] x",
            "nul",
            "\"abc",
            "{\"a\":1,\"a\":2}",
            "[\"\\x\"]",
        ] {
            assert!(JsonNode::parse(bad.as_bytes()).is_err(), "{bad:?} accepted");
        }
        let deep = "[".repeat(1000) + &"]".repeat(1000);
        assert!(JsonNode::parse(deep.as_bytes()).is_err());
    }
}
