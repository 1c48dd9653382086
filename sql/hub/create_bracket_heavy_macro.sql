-- Whether a record's text has more than max_depth brackets (`[` and `{`, strings included): only
-- such a record can nest deeper than the limit, and Python checks each exactly
-- (pipeline.hub.raw.too_deep). Shared by the replay's and the crawl's bulk checks.
create or replace macro bracket_heavy(line, max_depth) as
    strlen(line) - strlen(replace(replace(line, '[', ''), '{', '')) > max_depth
