"""Reading a large CSV file holds a batch, not the file: the process's peak RSS grows by far
less than the file's size (Linux /proc; skipped elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

from beatbrief.bench import peak_rss_mb, reset_peak_rss
from beatbrief.feeds import load_schema
from transforms.readers import iter_file

SCHEMA = load_schema("patrol_pings")
BATCH_ROWS = 100_000
BLOCK_ROWS = 100_000  # the file is written a block of rows at a time

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc to measure peak RSS"
)


def ping(i: int) -> list[str]:
    """One patrol ping as text."""
    return [
        f"D{i % 5000:05d}",
        f"SH{i % 20000:06d}",
        f"T{i % 800:04d}",
        f"S{i % 120:03d}",
        f"2026-11-27 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}",
        f"{125 + i % 997 / 1000:.6f}",
        f"{44 + i % 991 / 1000:.6f}",
        "WGS84",
        f"{i % 600 / 10:.1f}",
    ]


def write_pings(path: Path, rows: int, quoted: bool) -> int:
    """A pings CSV of `rows` rows (every field quoted, or none), written block by block;
    returns its size in bytes."""
    if quoted:
        lines = (",".join(f'"{v}"' for v in ping(i)) + "\n" for i in range(BLOCK_ROWS))
    else:
        lines = (",".join(ping(i)) + "\n" for i in range(BLOCK_ROWS))
    block = "".join(lines)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(SCHEMA.names) + "\n")
        for _ in range(rows // BLOCK_ROWS):
            handle.write(block)
    return path.stat().st_size


def rss_mb() -> float:
    """This process's resident set size now, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def read_rows(path: Path) -> int:
    """Rows read through iter_file, each batch released before the next is read."""
    rows = 0
    for batch in iter_file(path, SCHEMA, BATCH_ROWS):
        rows += batch.height
        del batch
    return rows


@pytest.mark.parametrize(
    ("quoted", "rows"),
    [(False, 4_000_000), (True, 3_000_000)],
    ids=["plain (vectorised)", "quoted (row-wise)"],
)
def test_a_large_csv_is_read_in_memory_set_by_the_batch(tmp_path, quoted, rows):
    # a few batches first: the code and allocator pools any read needs are then in place
    small = tmp_path / "small.csv"
    write_pings(small, 3 * BATCH_ROWS, quoted)
    assert read_rows(small) == 3 * BATCH_ROWS
    large = tmp_path / "large.csv"
    size_mb = write_pings(large, rows, quoted) / 2**20
    before = rss_mb()
    reset_peak_rss()
    assert read_rows(large) == rows
    growth = peak_rss_mb() - before
    assert growth < size_mb / 4, f"peak RSS grew {growth:.0f} MiB reading a {size_mb:.0f} MiB file"
