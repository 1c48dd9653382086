-- Whether a record's text may nest arrays and objects deeper than max_depth, decided here for
-- nearly every record; Python checks the few left exactly (pipeline.hub.raw.too_deep). Shared by
-- the replay's and the crawl's bulk checks.
--
-- A record with no more brackets (`[` and `{`, strings included) than the limit cannot be deeper:
-- one cheap count clears most records. For the rest (a tenth of real items: long file lists,
-- model-index tables), the brackets outside strings are peeled 16 times, each time removing every
-- innermost pair, as too_deep does. A nest of depth d leaves one of depth d - 16, which needs at
-- least that many opening brackets: a record left with no more than max_depth - 16 of them is
-- not too deep. Real items nest about 10 levels and are left with none.
create or replace macro maybe_too_deep(line, max_depth) as
    case
        when strlen(line) - strlen(replace(replace(line, '[', ''), '{', '')) <= max_depth
            then false
        else
            strlen(
                regexp_replace(
                    list_reduce(
                        range(16),
                        lambda nest, i: regexp_replace(nest, '\[\]|\{\}', '', 'g'),
                        -- the brackets outside strings (a string may hold any bracket)
                        regexp_replace(
                            regexp_replace(line, '"(?:[^"\\]|\\.)*"', '', 'g'),
                            '[^\[\]{}]',
                            '',
                            'g'
                        )
                    ),
                    '[\]}]',
                    '',
                    'g'
                )
            ) > max_depth - 16
    end
