"""The official OpenAI Python SDK and LangChain's ChatOpenAI against
`ki-reise serve --model` on the test model: plain chat, a forced tool call
(bind_tools), structured output (with_structured_output in its default
json_schema mode) and token-id embeddings are taken unchanged.

Run by scripts/test-openai-clients.sh, which sets KI_REISE_BASE, KI_REISE_KEY
and KI_REISE_MODEL_ID."""

import json
import os
import sys

from openai import OpenAI
from pydantic import BaseModel, Field
from langchain_openai import ChatOpenAI
from langchain_core.tools import tool

base = os.environ["KI_REISE_BASE"]
key = os.environ["KI_REISE_KEY"]
model = os.environ["KI_REISE_MODEL_ID"]
failures = []


def check(name, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + name + (f": {detail}" if not ok else ""))
    if not ok:
        failures.append(name)


client = OpenAI(base_url=base, api_key=key)

# Plain chat and the model's sampling defaults.
r = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": "Say hello."}], max_tokens=16
)
check("sdk chat", bool(r.choices[0].message.content) and r.usage.completion_tokens > 0)

# A forced tool call, its arguments valid, and the next turn.
tools = [{"type": "function", "function": {"name": "wetter", "description": "Das Wetter in einem Ort",
          "parameters": {"type": "object", "properties": {"ort": {"type": "string", "maxLength": 30}},
                         "required": ["ort"], "additionalProperties": False}}}]
r = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": "Wie ist das Wetter in Ulm?"}],
    tools=tools, tool_choice="required", max_tokens=64, temperature=0,
)
call = (r.choices[0].message.tool_calls or [None])[0]
args = json.loads(call.function.arguments) if call else {}
check("sdk tool call", r.choices[0].finish_reason == "tool_calls" and call.function.name == "wetter"
      and isinstance(args.get("ort"), str), r)
r2 = client.chat.completions.create(
    model=model, tools=tools, max_tokens=8,
    messages=[{"role": "user", "content": "Wie ist das Wetter in Ulm?"}, r.choices[0].message,
              {"role": "tool", "tool_call_id": call.id, "content": "21 Grad"}],
)
check("sdk tool result turn", r2.choices[0].message is not None)

# Streamed tool call deltas, assembled as the SDK's users do.
stream = client.chat.completions.create(
    model=model, messages=[{"role": "user", "content": "Wetter in Köln?"}],
    tools=tools, tool_choice="required", max_tokens=64, stream=True,
)
pieces, finish = [], None
for chunk in stream:
    if chunk.choices:
        for d in chunk.choices[0].delta.tool_calls or []:
            pieces.append(d.function.arguments or "")
        finish = chunk.choices[0].finish_reason or finish
check("sdk streamed tool call", finish == "tool_calls" and "ort" in json.loads("".join(pieces)))


class Stadt(BaseModel):
    name: str = Field(max_length=40)
    einwohner: int
    kreisfrei: bool


# Structured output with the SDK's own parse helper (json_schema, strict).
completions = client.chat.completions
parse = getattr(completions, "parse", None) or client.beta.chat.completions.parse
parsed = parse(
    model=model, messages=[{"role": "user", "content": "Beschreibe Halle (Saale)."}],
    response_format=Stadt, max_tokens=80,
)
check("sdk json_schema parse", isinstance(parsed.choices[0].message.parsed, Stadt), parsed)

# LangChain: bind_tools and with_structured_output in their default modes.
llm = ChatOpenAI(base_url=base, api_key=key, model=model, max_tokens=80, temperature=0)


@tool
def wetter(ort: str) -> str:
    """Das Wetter in einem Ort."""
    return "21 Grad"


msg = llm.bind_tools([wetter], tool_choice="required").invoke("Wie ist das Wetter in Ulm?")
check("langchain bind_tools", len(msg.tool_calls) == 1 and msg.tool_calls[0]["name"] == "wetter"
      and isinstance(msg.tool_calls[0]["args"].get("ort"), str), msg)
stadt = llm.with_structured_output(Stadt).invoke("Beschreibe Halle (Saale).")
check("langchain with_structured_output", isinstance(stadt, Stadt), stadt)

print(f"{7 - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
