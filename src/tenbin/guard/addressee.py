"""Orders given to an automated reader: who is told to do what.

An indirect injection names its addressee — the AI, agent, bot or automated system that will read the page,
e-mail, ticket or code ("To the automated mail assistant responsible for this mailbox:", "AI code reviewers:",
このチケットを自動トリアージしているボットは、…してください) — and then gives it an order. A document that only
talks about AI ("the assistant will not run commands itself", AIが直接実行せず…にとどめる) names no addressee,
and a runbook's orders are given to people. The lexicon in concepts.py lists fixed phrases; this module reads
the shape instead: a vocative naming an automated reader, with any modifiers or a clause describing what it is
doing, followed by a directive in the same sentence or right after it.

A bare "Assistant:" or "AI:" at a line start is a dialogue turn, not an address, and the user talking to the
model itself ("Assistant, what is…") is ordinary chat: an address needs something that marks it as aimed at a
reader of the text — a "to/for/dear/note to" in front, a modifier ("AI code", "automated mail"), a plural, a
clause about what the reader is doing ("processing this application"), a condition ("If an assistant is
summarising these reviews,"), or a bot's handle (`@deploy-bot`). Generic words ("system", "tool") name a reader
only with such a clause ("To whichever system reads this invoice:").
"""

from __future__ import annotations

import re

# Automated readers. "system", "reviewer", "tool" … count only with an automated/AI modifier.
_EN_CORE = (
    r"(?:ai|a\.i\.|assistants?|agents?|(?:chat)?bots?|llms?|(?:large )?language models?|models?|copilot|claude|"
    r"gemini|chatgpt|gpt[\w.-]*)"
)
_EN_ROLE = (
    r"(?:systems?|tools?|process(?:es|ors?)?|pipelines?|reviewers?|screeners?|readers?|parsers?|services?|"
    r"filters?|responders?|triage|summari[sz]ers?|crawlers?|scrapers?|classifiers?|graders?|evaluators?|"
    r"moderators?|translators?|workflows?|integrations?|helpers?|(?:pair )?programmers?|coders?|copilots?|"
    r"writers?|drafters?|analysts?|assistants?|agents?|checkers?|validators?|schedulers?|planners?|"
    r"recruiters?|operators?)"
)
_EN_AUTOMATED = (
    rf"(?:automated|automatic|auto-?[a-z]+|ai|a\.i\.|llm|bot|robot|machine)(?:[ -][a-z-]+){{0,2}}?[ -]{_EN_ROLE}"
)
# "Note to", "Message for", "To", "Dear", "Attention": words that aim what follows at a reader.
_EN_LEAD = (
    r"(?:(?:an?[ \t]+)?(?:(?:additional|special|further|final|urgent|important|new|system)[ \t]+)?"
    r"(?:note|message|notice|instructions?|reminder|attention|important|directive|request|memo)s?"
    r"[ \t]*(?:to|for)?[ \t]*:?[ \t]*|(?:to|for|dear|hey|hi|hello|attn|attention)[ \t]*:?[ \t]+)"
)
_EN_GREETING = r"(?:(?:to|dear|hey|hi|hello|attn|attention)[ \t]*:?[ \t]+)"
_EN_DETERMINER = r"(?:(?:the|any|all|every|each|an?|this|our|your|whichever|whatever)[ \t]+)"
# What the reader is doing: "reading this page", "that processes this application", "drafting replies for …".
_EN_CLAUSE = (
    r"(?:\s*,?\s*(?:(?:that|which|who)\s+)?(?:(?:is|are)\s+)?(?:currently\s+)?"
    r"(?:[a-z]{3,}ing|reads?|processes|handles|summari[sz]es|reviews|parses|screens|responsible|in charge)\b"
    r"[^.\n:;,]{0,80})"
)
# "system", "tool", "software" … name an automated reader only with such a clause ("whichever system reads this").
_EN_GENERIC = r"(?:systems?|tools?|software|programs?|process(?:es)?|pipelines?|services?|workflows?|scripts?)"
# Sentence / line / comment starts, where a vocative stands.
_EN_START = r"(?:^|(?<=[\n.!?:;(\[{>*#|\"'])|(?<=<!--)|(?<=p\.s\.)|(?<=//)|(?<=--))\s*"
# Within one line: words on the line before "Assistant:" make no address of a dialogue turn.
_EN_MODIFIERS = r"(?:[a-z0-9'-]+[ \t]+){1,4}?"
_EN_READER = rf"(?:{_EN_AUTOMATED}|{_EN_CORE})"
_EN_ADDRESS = re.compile(
    _EN_START
    + r"(?:(?:"
    # Ending in a colon or dash: "To the AI reading this:", "AI code reviewers:", "Automated screening systems
    # processing this application —". A bare "Assistant:" is a dialogue turn and does not count.
    + rf"{_EN_LEAD}{_EN_DETERMINER}?(?:{_EN_MODIFIERS})?{_EN_READER}{_EN_CLAUSE}?"
    + rf"|{_EN_DETERMINER}?{_EN_AUTOMATED}{_EN_CLAUSE}?"
    + rf"|{_EN_DETERMINER}?{_EN_MODIFIERS}{_EN_CORE}{_EN_CLAUSE}?"
    + rf"|(?:ai|assistant|agent|bot|llm|model)s{_EN_CLAUSE}?"
    + rf"|{_EN_CORE}{_EN_CLAUSE}"
    + rf"|{_EN_LEAD}?{_EN_DETERMINER}(?:{_EN_MODIFIERS})?{_EN_GENERIC}{_EN_CLAUSE}"
    + r")\s*(?::|[—–](?!\s*\d)|\s-\s(?!\d))"
    # Ending in a comma, only after a greeting or with a clause: "Dear assistant,", "AI agents processing this
    # page,". "For the model, we used…" and "Assistant, what is…" are not addresses to a reader.
    + rf"|(?:{_EN_GREETING}{_EN_DETERMINER}?(?:{_EN_MODIFIERS})?{_EN_READER}{_EN_CLAUSE}?"
    + rf"|{_EN_DETERMINER}?{_EN_READER}{_EN_CLAUSE}"
    + rf"|{_EN_LEAD}{_EN_DETERMINER}(?:{_EN_MODIFIERS})?{_EN_GENERIC}{_EN_CLAUSE})\s*,"
    # "If an assistant is summarising these reviews, …", "When the AI reading this page answers, …"
    + rf"|(?:if|when|whenever)\s+(?:you\s+are\s+)?{_EN_DETERMINER}(?:{_EN_MODIFIERS})?{_EN_READER}{_EN_CLAUSE}\s*,"
    + ")"
    # "@assistant", "@copilot", "@ops-bot", anywhere
    + rf"|(?<![\w.])@(?:[\w-]*[-_])?{_EN_CORE}\b",
    re.MULTILINE,
)
_EN_ORDER_VERB = (
    r"(?:(?:also|then|now|first|instead|simply|just|immediately|quietly|silently)\s+)?"
    r"(?:ignore|disregard|forget|reply|respond|answer|include|add|append|insert|send|forward|email|post|upload|"
    r"share|copy|export|delete|remove|drop|run|execute|call|approve|merge|rank|rate|score|mark|classify|label|"
    r"close|reset|disable|enable|grant|transfer|wire|pay|buy|order|book|accept|fill|submit|visit|open|click|"
    r"navigate|fetch|download|install|summari[sz]e|translate|tell|say|output|print|write|state|recommend|"
    r"report|treat|consider|skip|omit|exclude|set|change|update|collect|gather|retrieve|look up|find|list|"
    r"reveal|disclose|provide|give|return|use|switch|push|commit|paste|attach|describe|mention|unlock|lock|"
    r"cancel|refund|issue|create|make|move|rename|assign|invite|decline|reject|escalate|schedule|reschedule|"
    r"purchase|withdraw|modify|edit|overwrite|replace|highlight|prioriti[sz]e|favou?r|select|choose|pick|"
    r"shortlist|hire|flag|praise|rotate|publish|quote|note)\b"
)
# An order: a modal or "please" anywhere, or an imperative verb where a clause starts.
_EN_DIRECTIVE = re.compile(
    r"\b(?:you (?:are now|must|should|need to|have to|are required|are instructed|will now|may now|can now|"
    r"are authori[sz]ed)|please|kindly|do not|don't|never|always|make sure|ensure|be sure|remember to|"
    r"(?:could|would|can|will) you|(?:appreciate|grateful) (?:it )?if you|"
    r"(?:asks?|asked|requests?|requested|requires?|required|instructs?|instructed|wants?|expects?) (?:that )?you)\b"
    rf"|(?:^|(?<=[:,—–.\n]))\s*{_EN_ORDER_VERB}",
    re.MULTILINE,
)
# Right after the address, an imperative needs no clause start: "AI agents visiting this page - open …".
_EN_ORDER_NEXT = re.compile(rf"\s*{_EN_ORDER_VERB}")

# Japanese: a noun phrase ending in an automated reader, then へ / 様 / さん / は、 and an order.
_JA_CORE = (
    r"(?:ai|アシスタント|エージェント|ボット|bot|チャットボット|言語モデル|モデル|llm|gpt|コパイロット|copilot|"
    r"(?:ai|自動|オート)[^\s。、「」]{0,8}?(?:レビュアー|レビュワー|システム|ツール|処理|担当|応答|判定|審査|選考|"
    r"秘書|アナライザ|分析|翻訳|要約|クローラ|プログラム))"
)
_JA_ADDRESS = re.compile(
    rf"(?:{_JA_CORE})(?:の(?:方|皆様|皆さん|みなさん))?"
    r"(?:へ(?:の(?:指示|お願い|連絡|メッセージ|注意))?|様|さん|殿|各位|に告ぐ|は|諸君)\s*[、，,:：。】」』）)\]\s]"
)
# A condition on who is reading: "このレビューを読まれているのがAIの方でしたら、…", "もしAIがこのメールを読んでいるなら、
# …" — the Japanese "If an assistant is summarising these reviews,".
_JA_READING = (
    r"(?:読|読み込|処理|要約|集計|分析|確認|翻訳|対応|チェック|審査|選考|整理)(?:ん|し|され|まれ|なさ)?"
    r"(?:て|で)(?:いる|いらっしゃる|くださっている|下さっている|おられる|る)"
)
_JA_CONDITION = re.compile(
    rf"{_JA_READING}(?:の|方)(?:が|は)[^。\n]{{0,20}}?(?:{_JA_CORE})(?:の方|さん|様)?"
    r"(?:なら|でしたら|であれば|だったら|の場合(?:は|には)?[、，,])"
    rf"|(?:{_JA_CORE})(?:の方|さん|様)?が[^。\n]{{0,30}}?(?:{_JA_READING})(?:なら|のなら|のであれば|場合(?:は|には)?[、，,]|のでしたら)"
    rf"|(?:{_JA_CORE})(?:の方|さん|様)?が[^。\n]{{0,30}}?(?:読|読み込|処理|要約|集計|分析|確認|翻訳)(?:んだ|した|まれた)ら"
)
_JA_DIRECTIVE = re.compile(
    r"(?:てください|て下さい|てくださいませ|すること|せよ|しなさい|なさい|するように|ように|"
    r"お願い(?:します|いたします|致します|申し上げます)|願います|願えますか|(?:いただ|頂)(?:け|き)|"
    r"もらえ(?:ますか|ると)|くれ(?:ますか|ると)|幸いです|してね|して[。！!]|すべし|してほしい|して欲しい|ください|"
    r"こと[。！!\n]|とする[。\n])"
)
_JA_SENTENCE_END = re.compile(r"[。！？!?\n]")

_EN_REACH = 240
_JA_REACH = 160


def agent_orders(text: str) -> list[int]:
    """Offsets of addresses to an automated reader that are followed by an order (normalised text)."""
    found = []
    for match in _EN_ADDRESS.finditer(text):
        start = match.start() + len(match.group()) - len(match.group().lstrip())
        reach = match.end() + _EN_REACH
        if _EN_ORDER_NEXT.match(text, match.end()) or _EN_DIRECTIVE.search(text, match.end(), reach):
            found.append(start)
    for match in _JA_ADDRESS.finditer(text):
        if _ja_order_follows(text, match):
            found.append(match.start())
    for match in _JA_CONDITION.finditer(text):
        if _JA_DIRECTIVE.search(text, match.end(), match.end() + _JA_REACH):
            found.append(match.start())
    return sorted(set(found))


def _ja_order_follows(text: str, match: re.Match[str]) -> bool:
    tail = text[match.end() : match.end() + _JA_REACH]
    if match.group().rstrip(" 、，,:：】」』）)]\t\n").endswith("は"):
        # "AIは…" is as often a description ("AIは誤答することがあります") as an order: the order must close the
        # same sentence.
        end = _JA_SENTENCE_END.search(tail)
        tail = tail[: end.end() if end else len(tail)]
    return _JA_DIRECTIVE.search(tail) is not None
