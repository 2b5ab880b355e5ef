"""The benchmark's own pieces that need no server: options, trace counting, the ceiling, the
statements it explains."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from lxml import etree
from sqlalchemy.dialects import postgresql, sqlite

from recovery_soap.store.hot_statements import hot_statements
from tools.bench import ceiling, cpu
from tools.bench.main import parse
from tools.bench.tracing import count_trace

SIMPLE = """\
2026-12-05 03:39:11.794342\tF\t10\tQuery\t "BEGIN"
2026-12-05 03:39:11.806223\tB\t10\tCommandComplete\t "BEGIN"
2026-12-05 03:39:11.806249\tB\t5\tReadyForQuery\t T
2026-12-05 03:39:11.816221\tF\t26\tParse\t "" "select $1::int" 1 21
2026-12-05 03:39:11.816223\tF\t22\tBind\t "" "" 1 1 1 2 '\\x00\\x02' 1 0
2026-12-05 03:39:11.816225\tF\t6\tDescribe\t P ""
2026-12-05 03:39:11.816225\tF\t9\tExecute\t "" 0
2026-12-05 03:39:11.816226\tF\t4\tSync
2026-12-05 03:39:11.823919\tB\t4\tParseComplete
2026-12-05 03:39:11.823948\tB\t5\tReadyForQuery\t T
"""
PIPELINE = """\
F\t16\tParse\t "" "select 3" 0
F\t9\tExecute\t "" 0
F\t16\tParse\t "" "select 4" 0
F\t9\tExecute\t "" 0
F\t4\tSync
F\t4\tFlush
B\t4\tParseComplete
B\t13\tCommandComplete\t "SELECT 1"
B\t4\tParseComplete
B\t5\tReadyForQuery\t T
"""


def test_a_simple_query_and_an_extended_one_are_two_round_trips() -> None:
    assert count_trace(SIMPLE) == (2, 2, "B")


def test_a_pipelined_batch_is_one_round_trip() -> None:
    assert count_trace(PIPELINE) == (1, 1, "B")


def test_a_turn_that_began_in_the_previous_stretch_is_counted_once() -> None:
    statements, turns, last = count_trace('F\t10\tQuery\t "BEGIN"\n')
    assert (statements, turns, last) == (1, 0, "F")
    assert count_trace("B\t5\tReadyForQuery\t I\n", last) == (0, 1, "B")


def test_quick_keeps_its_defaults() -> None:
    args = parse(["--quick"])
    assert (args.users, args.duration, args.rounds, args.db) == (1000, 3.0, 1, "sqlite")
    assert args.round_trip_calls == 3
    assert "hash" in args.scenarios and "ceiling" in args.scenarios


def test_unknown_scenarios_are_refused() -> None:
    with pytest.raises(SystemExit):
        parse(["--scenarios", "questions,nope"])


def test_the_ceiling_answers_the_bytes_it_was_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    soap, service = ceiling.SOAP, ceiling.SERVICE_NS
    envelope = etree.Element(f"{{{soap}}}Envelope", nsmap={"soapenv": soap, "ns": service})
    answer = etree.SubElement(
        etree.SubElement(envelope, f"{{{soap}}}Body"),
        f"{{{service}}}getAllChallengeQuestionsResponse",
    )
    item = etree.SubElement(answer, f"{{{service}}}return")
    etree.SubElement(item, f"{{{service}}}question").text = "Favorite sport ?"
    expected = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    request = (
        f'<e:Envelope xmlns:e="{soap}" xmlns:s="{service}"><e:Body>'
        "<s:getAllChallengeQuestions/></e:Body></e:Envelope>"
    ).encode()
    environ = {"wsgi.input": io.BytesIO(request), "CONTENT_LENGTH": str(len(request))}
    monkeypatch.setenv(ceiling.SPEC_VARIABLE, json.dumps(ceiling.ceiling_spec(expected)))
    monkeypatch.setattr(ceiling, "_spec", None)
    seen: list[str] = []
    body = b"".join(ceiling.application(environ, lambda status, headers: seen.append(status)))
    assert (seen, body) == (["200 OK"], expected)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "pg"])
def test_the_hot_statements_compile_with_their_values(dialect) -> None:
    statements = hot_statements(
        dialect.name,
        tenant_id=1,
        user_name="u0000001",
        code_hash="0" * 64,
        now=datetime(2026, 1, 1),
    )
    assert len(statements) == 4
    for statement, values in statements.values():
        compiled = statement.compile(dialect=dialect)
        assert set(compiled.construct_params(values)) >= set(values)


# --- where the CPU went (tools/bench/cpu.py) ----------------------------------------------


def _snapshot(me: int, reaped: float, **processes: tuple[str, int, float]) -> cpu.Snapshot:
    return cpu.Snapshot(
        {int(pid[1:]): cpu._Process(*fields) for pid, fields in processes.items()}, reaped, me
    )


def test_cpu_is_split_by_role() -> None:
    before = _snapshot(
        100,
        1.0,
        p200=("python", 1, 5.0),  # the measured gunicorn master
        p201=("python", 200, 10.0),  # its worker
        p300=("postgres", 1, 2.0),
        p101=("python", 100, 1.0),  # a load process of the bench
        p400=("beam.smp", 1, 7.0),
        p500=("python", 100, 3.0),  # an idle server of the bench
    )
    after = _snapshot(
        100,
        1.5,  # wrk, reaped meanwhile
        p200=("python", 1, 5.1),
        p201=("python", 200, 12.0),
        p202=("python", 200, 0.4),  # a worker started during the part
        p300=("postgres", 1, 2.7),
        p101=("python", 100, 1.25),
        p102=("python", 101, 0.25),  # a grandchild of the bench
        p400=("beam.smp", 1, 7.1),
        p500=("python", 100, 3.2),
    )
    spent = cpu.spent(before, after, measured=[200, 201], idle=[500])
    assert spent == pytest.approx({"service": 2.5, "database": 0.7, "load": 1.0, "other": 0.3})
    assert cpu.per_request(spent, 1000) == pytest.approx(
        {"service": 2.5, "database": 0.7, "load": 1.0, "other": 0.3}
    )


def test_a_busy_child_is_counted_as_load_and_a_measured_one_as_service() -> None:
    import subprocess
    import sys

    spin = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    served = spin + "\nprint('spun', flush=True)\ntime.sleep(30)"
    before = cpu.snapshot()
    with subprocess.Popen(
        [sys.executable, "-c", served], stdout=subprocess.PIPE, text=True
    ) as measured:
        try:
            subprocess.run([sys.executable, "-c", spin], check=True)  # a load process, reaped
            assert measured.stdout is not None and measured.stdout.readline() == "spun\n"
            spent = cpu.spent(before, cpu.snapshot(), measured=[measured.pid])
        finally:
            measured.kill()
    assert spent["service"] >= 0.29
    assert 0.29 <= spent["load"] < spent["service"] + 0.3  # the reaped one, and this process


def test_the_report_gives_each_ratio_its_cpu_budget() -> None:
    from tools.bench.report import Result, Run, cpu_lines

    def result(name: str, rate: float, service: float, database: float) -> Result:
        return Result(
            name, "req/s", rate, 1, 1, 1, 1, 0, 100, 1, None,
            cpu_ms={"service": service, "database": database, "load": 0.1, "other": 5.0},
            cpu_busy=0.9,
        )  # fmt: skip

    run = Run(
        {"db": "postgresql"}, [result("verify-user", 1, 1.2, 0.7), result("ceiling", 4, 0.4, 0)]
    )
    lines = cpu_lines(run)
    assert "| verify-user | 1.200 | 0.700 | 0.100 | 5.000 | 90% |" in lines
    assert any(line.startswith("- verify-user/ceiling by CPU budget: **0.25**") for line in lines)
