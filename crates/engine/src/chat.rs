//! Chat templates: the model's own `tokenizer.chat_template` (Jinja, as on
//! Hugging Face) rendered with minijinja plus the Python-isms and helper
//! functions those templates use.

use minijinja::{Environment, ErrorKind, Value};
use serde::Serialize;

use crate::error::{Error, Result};

/// ChatML, the fallback named in errors and used when a model has no
/// template.
pub const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/// One turn of a conversation, with the fields Hugging Face templates read.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Message {
    pub role: String,
    pub content: String,
    /// The functions an assistant turn called.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// On a `tool` turn: which call this is the result of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A function call as templates expect it: `arguments` an object, not the
/// JSON text OpenAI's wire format carries.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionCall,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FunctionCall {
    pub name: String,
    pub arguments: serde_json::Value,
}

impl Message {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            content: content.into(),
            ..Self::default()
        }
    }
}

/// A compiled chat template.
#[derive(Debug)]
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
}

fn strftime_now(format: String) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let days = secs.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = MONTHS[(m - 1) as usize];
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str(&format!("{d:02}")),
            Some('m') => out.push_str(&format!("{m:02}")),
            Some('Y') => out.push_str(&y.to_string()),
            Some('y') => out.push_str(&format!("{:02}", y % 100)),
            Some('B') => out.push_str(month),
            Some('b') => out.push_str(&month[..3]),
            Some('H') => out.push_str(&format!("{:02}", secs.rem_euclid(86_400) / 3600)),
            Some('M') => out.push_str(&format!("{:02}", secs.rem_euclid(3600) / 60)),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl ChatTemplate {
    pub fn new(source: &str, bos: &str, eos: &str) -> Result<Self> {
        let mut env = Environment::new();
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.set_recursion_limit(64);
        // Templates come from model files, i.e. from outside: bound the
        // work a hostile one can make a render do.
        env.set_fuel(Some(200_000));
        env.add_function(
            "raise_exception",
            |msg: String| -> std::result::Result<Value, minijinja::Error> {
                Err(minijinja::Error::new(ErrorKind::InvalidOperation, msg))
            },
        );
        env.add_function("strftime_now", strftime_now);
        env.add_template_owned("chat", source.to_owned())
            .map_err(|e| Error::ChatTemplate(format!("template does not compile: {e}")))?;
        Ok(Self {
            env,
            bos: bos.to_owned(),
            eos: eos.to_owned(),
        })
    }

    pub fn chatml() -> Self {
        Self::new(CHATML, "", "")
            .unwrap_or_else(|_| unreachable!("the built-in ChatML template compiles"))
    }

    /// Renders the conversation; with `add_generation_prompt` the text ends
    /// where the assistant's answer begins.
    pub fn render(&self, messages: &[Message], add_generation_prompt: bool) -> Result<String> {
        self.render_value(
            Value::from_serialize(messages),
            add_generation_prompt,
            Value::UNDEFINED,
        )
    }

    /// Whether the template reads `tools` at all (if not, a caller that
    /// offers tools has to describe them in a message of its own).
    pub fn reads_tools(&self) -> bool {
        self.env
            .get_template("chat")
            .is_ok_and(|t| t.undeclared_variables(false).contains("tools"))
    }

    /// As [`ChatTemplate::render`], with messages and tools given as JSON
    /// (`tools`: OpenAI's list of `{"type": "function", "function": …}`).
    pub fn render_value(
        &self,
        messages: Value,
        add_generation_prompt: bool,
        tools: Value,
    ) -> Result<String> {
        let tmpl = self
            .env
            .get_template("chat")
            .map_err(|e| Error::ChatTemplate(e.to_string()))?;
        let mut out = BoundedText::default();
        let rendered = tmpl.render_captured_to(
            minijinja::context! {
                messages => messages,
                add_generation_prompt => add_generation_prompt,
                bos_token => self.bos,
                eos_token => self.eos,
                tools => tools,
            },
            &mut out,
        );
        match rendered {
            Err(_) if out.overflowed => Err(Error::ChatTemplate(format!(
                "the rendered prompt exceeds {} MiB",
                MAX_RENDERED_BYTES >> 20
            ))),
            Err(e) => Err(Error::ChatTemplate(e.to_string())),
            Ok(_) => String::from_utf8(out.bytes)
                .map_err(|_| Error::ChatTemplate("the rendered prompt is not UTF-8".into())),
        }
    }
}

/// A prompt larger than any context window a model has; a template that
/// renders more (e.g. by repeating a sequence a million times, which
/// minijinja does lazily, so fuel does not see it) stops here.
const MAX_RENDERED_BYTES: usize = 16 << 20;

/// Render target that refuses to grow past [`MAX_RENDERED_BYTES`].
#[derive(Default)]
struct BoundedText {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for BoundedText {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_RENDERED_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("rendered prompt too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chatml_renders_roles_and_the_generation_prompt() {
        let t = ChatTemplate::chatml();
        let s = t
            .render(&[Message::new("user", "Grüß Gott")], true)
            .unwrap();
        assert_eq!(
            s,
            "<|im_start|>user\nGrüß Gott<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn a_template_that_raises_gives_an_error_naming_the_fallback() {
        let t = ChatTemplate::new("{{ raise_exception('roles must alternate') }}", "", "").unwrap();
        let e = t.render(&[], true).unwrap_err().to_string();
        assert!(
            e.contains("roles must alternate") && e.contains("ChatML"),
            "{e}"
        );
    }

    #[test]
    fn python_string_methods_and_loop_controls_work() {
        let src = "{% for m in messages %}{% if m.role == 'skip' %}{% continue %}{% endif %}{{ m.content.strip() | tojson }}{% endfor %}{{ strftime_now('%Y') | length }}";
        let t = ChatTemplate::new(src, "", "").unwrap();
        let s = t
            .render(
                &[Message::new("user", "  hi  "), Message::new("skip", "x")],
                false,
            )
            .unwrap();
        assert_eq!(s, "\"hi\"4");
    }

    #[test]
    fn a_template_that_prints_a_huge_lazy_sequence_is_refused_not_rendered() {
        // Found by the chat_template fuzzer: nested repetition builds a
        // sequence of billions of items without spending fuel.
        let t =
            ChatTemplate::new("{{ 6388*(1,8,0388*(1,8,08*(1,8,0388*(1,8,0))))}}", "", "").unwrap();
        let e = t.render(&[], true).unwrap_err().to_string();
        assert!(e.contains("MiB"), "{e}");
    }

    #[test]
    fn an_endless_template_runs_out_of_fuel_instead_of_hanging() {
        let t = ChatTemplate::new(
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            "",
            "",
        )
        .unwrap();
        assert!(t.render(&[], true).is_err());
    }
}
