"""The drill's verdicts as a table (stdout), JUnit XML (``--junit``) and JSON (``--json``).

JUnit because every CI dashboard reads it: one ``<testcase>`` per case, named after the case,
with the case's group as its class (``drill.persona``, ``drill.trap``, ``drill.failure``), a
``<failure>`` whose message says expected vs seen and the last response, and the whole walk in
``<system-out>``.
"""

from __future__ import annotations

import json
import platform
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mock_bankid import __version__
from mock_bankid.drill.run import Verdict

WIDTH_CASE = 28


@dataclass
class RunInfo:
    start: str
    success: str
    mock: str
    policy: dict[str, Any]
    policy_text: str
    mode: str
    catalogue: str
    warnings: list[str]
    started_at: str = ""
    start_vipps: str | None = None
    whoami: str | None = None

    def __post_init__(self) -> None:
        self.started_at = self.started_at or datetime.now(UTC).isoformat(timespec="seconds")


def group_of(verdict: Verdict) -> str:
    case = verdict.case
    if "vipps" in case.providers:
        return "vipps"
    name = case.scenario_name or (case.server_scenario or {}).get("scenario")
    if name and name.startswith("trap-"):
        return "trap"
    if name:
        return "failure"
    return "persona"


def header(info: RunInfo) -> list[str]:
    return [
        f"mock-bankid drill ({info.mode}) — a rehearsal against a MOCK of BankID",
        f"  relying party: {info.start}   success: {info.success}",
        *([f"  vipps start:   {info.start_vipps}"] if info.start_vipps else []),
        *([f"  whoami:        {info.whoami}"] if info.whoami else []),
        f"  mock-bankid:   {info.mock}   catalogue: {info.catalogue}",
        f"  policy:        {info.policy_text}",
        *(f"  warning: {w}" for w in info.warnings),
        "",
        f"{'case'.ljust(WIDTH_CASE)} {'expected'.ljust(20)} {'seen'.ljust(10)} verdict  rehearses",
    ]


def row(verdict: Verdict) -> list[str]:
    expected = " or ".join(verdict.expected)
    mark = "ok" if verdict.met else "FAILED"
    lines = [f"{verdict.case.name.ljust(WIDTH_CASE)} {expected.ljust(20)} {verdict.seen.ljust(10)} "
             f"{mark.ljust(8)} {verdict.case.rehearses}"]
    if not verdict.met:
        for text in (verdict.problem, verdict.detail, *verdict.notes):
            if text:
                lines.extend("    " + line for line in textwrap.wrap(text, 110))
    return lines


def summary(verdicts: list[Verdict], seconds: float) -> str:
    failed = [v.case.name for v in verdicts if not v.met]
    text = f"{len(verdicts)} cases: {len(verdicts) - len(failed)} met, {len(failed)} not met ({seconds:.1f} s)"
    return text + (f"\nnot met: {', '.join(failed)}" if failed else "")


def junit(verdicts: list[Verdict], info: RunInfo, seconds: float) -> bytes:
    failures = sum(not v.met for v in verdicts)
    suites = ET.Element("testsuites", name="mock-bankid drill", tests=str(len(verdicts)),
                        failures=str(failures), errors="0", time=f"{seconds:.3f}")
    suite = ET.SubElement(suites, "testsuite", name="mock-bankid drill", tests=str(len(verdicts)),
                          failures=str(failures), errors="0", skipped="0", time=f"{seconds:.3f}",
                          timestamp=info.started_at, hostname=platform.node() or "localhost")
    props = ET.SubElement(suite, "properties")
    for name, value in (("relying_party", info.start), ("success", info.success), ("mock", info.mock),
                        ("policy", info.policy_text), ("mode", info.mode), ("catalogue", info.catalogue),
                        ("mock_bankid_version", __version__)):
        ET.SubElement(props, "property", name=name, value=value)
    for v in verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"drill.{group_of(v)}", name=v.case.name,
                             time=f"{v.seconds:.3f}")
        if not v.met:
            failure = ET.SubElement(case, "failure", message=v.message(), type="ExpectationNotMet")
            failure.text = "\n".join(x for x in (v.problem, v.detail, *v.notes) if x)
        out = ET.SubElement(case, "system-out")
        out.text = walk_text(v)
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def walk_text(v: Verdict) -> str:
    lines = [f"rehearses: {v.case.rehearses}",
             f"expected: {' or '.join(v.expected)} ({v.why}); seen: {v.seen}"]
    for label, trace in (("first delivery", v.first), ("walk", v.trace)):
        if trace is None:
            continue
        lines.append(f"{label}:")
        lines.extend(f"  {h.method} {h.url} -> {h.status}" + (f" Location: {h.location}" if h.location else "")
                     for h in trace.hops)
        if trace.failure:
            lines.append(f"  {trace.failure}")
        if trace.timed_out:
            lines.append(f"  timed out after {trace.seconds:.1f} s")
    lines.extend(v.notes)
    return "\n".join(lines)


def as_json(verdicts: list[Verdict], info: RunInfo, seconds: float) -> str:
    return json.dumps({
        "mock_bankid_drill": __version__, "started_at": info.started_at, "mode": info.mode,
        "relying_party": info.start, "start_vipps": info.start_vipps, "whoami": info.whoami,
        "success": info.success, "mock": info.mock, "catalogue": info.catalogue,
        "policy": info.policy, "warnings": info.warnings, "seconds": round(seconds, 3),
        "summary": {"cases": len(verdicts), "met": sum(v.met for v in verdicts),
                    "not_met": [v.case.name for v in verdicts if not v.met]},
        "cases": [{**v.as_dict(), "group": group_of(v)} for v in verdicts],
    }, indent=2, ensure_ascii=False)
