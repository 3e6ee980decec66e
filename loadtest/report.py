"""The report as a table for people (`raaderum loadtest` without --json)."""

from __future__ import annotations

from typing import Any


def render(report: dict[str, Any]) -> str:
    """The report as a table for people."""
    setup, conns, actions = report["setup"], report["connections"], report["actions"]
    latency, server, loadgen, correctness = (
        report["latency_ms"],
        report["server"],
        report["loadgen"],
        report["correctness"],
    )

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} ms"

    def mb(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} MB"

    errors = ", ".join(f"{code} {count}" for code, count in report["errors"].items()) or "none"
    rows = [
        ("setup", f"{setup['tables']} tables × {setup['players']} players, rate {setup['rate']}/s per player, "
                  f"{setup['duration']:g} s, {setup['workers']} server process(es)"
                  + (f" capped at {setup['server_cpu']:g} core each" if setup.get("server_cpu") else "")
                  + f", store {setup['store'] or '?'}"),
        ("connections", f"{conns['total']} ({conns['players']} players, {conns['watchers']} watchers), "
                        f"{conns['reconnects']} reconnects"),
        ("actions/s", f"{actions['per_second']:.1f} ({actions['acked']} acked of {actions['sent']} sent; "
                      f"{actions['deliveries_per_second']:.0f} deliveries/s to players)"),
        ("latency p50", ms(latency["p50"])),
        ("latency p95", ms(latency["p95"])),
        ("latency p99", ms(latency["p99"])),
        ("latency max", ms(latency["max"])),
        ("measured", f"{latency['count']} actions (+{latency['excluded_resumed']} that reached a resuming bot)"),
        ("errors", errors),
        ("server memory", f"{mb(server['rss_mb'])} (peak {mb(server['rss_peak_mb'])}), "
                          f"{server['kb_per_connection'] if server['kb_per_connection'] is not None else '-'} KB "
                          f"per player connection"),
        ("server cpu", ("-" if server["cpu_percent"] is None
                        else f"{server['cpu_percent']:.0f} % of one core, {server['cpu_us_per_action']} µs per action")
                       + (f"; its Redis {server['redis_cpu_percent']:.0f} %"
                          if server.get("redis_cpu_percent") is not None else "")),
        ("stalls", _stalls(server)),
        ("loadgen", f"cpu {loadgen['cpu_percent']:.0f} % of one core, {loadgen['cpu_us_per_action']} µs per action, "
                    f"loop lag p99 {loadgen['loop_lag_p99_ms']} ms"),
        ("correctness", ("PASS" if correctness["passed"] else "FAIL")
                        + f" (contiguous {correctness['contiguous']}, identical {correctness['identical']}, "
                          f"complete {correctness['complete']})"),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    lines = [f"{name.ljust(width)}  {value}" for name, value in rows]
    lines += [f"  ! {problem}" for problem in correctness["problems"]]
    return "\n".join(lines)


def _stalls(server: dict[str, Any]) -> str:
    """What stopped the server now and then while measuring: its garbage collector, the store's disk."""
    gc_pauses, store = server.get("gc_pauses"), server.get("store_stalls_ms")
    parts = []
    if gc_pauses is not None:
        parts.append(
            f"server GC {gc_pauses['pauses']} pauses, {gc_pauses['total_ms']:.0f} ms in all, "
            f"{gc_pauses['over_50ms']} over 50 ms, {gc_pauses['over_100ms']} over 100 ms"
        )
    if store is not None:
        worst = ", ".join(f"{event} {ms:.0f} ms" for event, ms in sorted(store.items())) or "none over 20 ms"
        parts.append(f"Redis {worst}")
    return "; ".join(parts) or "-"
