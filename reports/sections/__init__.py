"""The sections of a briefing page. A section is found by one name: its query
`reports/queries/<name>.sql`, its module `reports/sections/<name>.py` and its template partial
`reports/templates/sections/<name>.html.j2` (docs/ARCHITECTURE.md, "Pages", has the map).

Every section module has:
- `QUERIES`: the queries whose frames it reads, its own first. A second result set of another
  grain that only this section shows is `<name>__<part>.sql`; shared reference frames
  (`stations`, `communities`) and another section's query are listed by their names, and
  every query is read once a day for all pages (`reports.data.read_frames`).
- `context(frames, page) -> dict`: what its partial shows for one page (`reports.scope.Page`),
  formatted; the partial reads it as the variable named after the section.

A page is a list of sections (reports/publish.py). Sections format and choose rows; every
statistic comes from a mart.
"""
